"""Raising the alarm: what the desk calls for an urgent case after hours.

:func:`alert` writes an ``oncall_alert`` row in the caller's transaction and returns what the
resident is told instead of "工作人员上班后会给您打电话". The row is sent by a Celery task
(``oncall.deliver``, web/oncall/tasks.py), queued by :class:`AlertQueue` once the transaction
has committed, so a rolled-back turn alerts nobody and a committed one is never lost: should
queueing fail (the broker is down), the sweep queues every alert left unsent
(web/oncall/sweep.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import event, select
from sqlalchemy.orm import Session, sessionmaker

from common.masking import mask_text
from web.conversations.models import Conversation
from web.oncall import rota
from web.oncall.config import oncall
from web.oncall.models import OncallAlert

log = logging.getLogger(__name__)

DELIVER = "oncall.deliver"  # the Celery task that sends one alert
SUMMARY_LIMIT = 200  # characters of the masked summary kept (and sent)
_PENDING = "oncall_alerts"  # alert ids written in the session's transaction, queued after its commit

Enqueue = Callable[[str, list[Any]], None]  # task name, arguments (web/services.py gives the Celery app's)


class Ticket(Protocol):
    """``web.handoff.models.Ticket`` as far as alerting reads it (the desk calls this package,
    so it does not import the desk's models)."""

    id: int
    after_hours: bool


def alert(sess: Session, conv: Conversation, ticket: Ticket, kind: str, summary: str, now: datetime) -> str | None:
    """Send an urgent after-hours case to whoever is on call at ``now`` (naive UTC).

    Returns the sentence the resident is told (who will phone, and within how many minutes), or
    ``None`` when the ticket was opened in working hours or nobody is on call (the caller keeps
    its own text then). ``kind``: the danger's kind (suicidal, violence …); ``summary``: what the
    resident said, masked here before it is stored or sent. A ticket alerted once already is not
    alerted again (unless that alert failed): the resident hears the same promise.
    """
    if not ticket.after_hours:
        return None
    told = promised(sess, ticket.id)
    if told is not None:
        return told
    targets = rota.chain(sess, now)
    if not targets:
        return None
    row = OncallAlert(
        ticket_id=ticket.id,
        conversation_id=conv.id,
        kind=kind[:32],
        summary=mask_text(summary.strip())[:SUMMARY_LIMIT],
        targets=[t.as_dict() for t in targets],
        status="pending",
        next_attempt_at=now,
        created_at=now,
    )
    sess.add(row)
    sess.flush()
    sess.info.setdefault(_PENDING, []).append(row.id)
    log.info("on-call alert raised", extra={"alert": row.id, "ticket": ticket.id, "kind": row.kind})
    return promise(targets[0].name)


def promised(sess: Session, ticket_id: int) -> str | None:
    """What the resident was promised by an alert under way for the ticket (None: no such alert)."""
    under_way = sess.scalar(
        select(OncallAlert)
        .where(OncallAlert.ticket_id == ticket_id, OncallAlert.status != "failed")
        .order_by(OncallAlert.id.desc())
        .limit(1)
    )
    return promise(under_way.target.get("name", "")) if under_way is not None else None


def promise(name: str) -> str:
    """What the resident is told: who will phone (王老师: the family name, as residents address a
    social worker; the full name stays with staff) and within how many minutes."""
    config = oncall()
    called = f"{name[:1]}老师" if name else "工作人员"
    return config.texts["resident"].format(name=called, minutes=config.promise_minutes)


class AlertQueue:
    """Queues the delivery task of every alert a transaction wrote, once it has committed
    (installed on the web process's sessionmaker by web/services.py, like the desk's events)."""

    def __init__(self, enqueue: Enqueue) -> None:
        self.enqueue = enqueue

    def install(self, sessions: sessionmaker) -> None:
        event.listen(sessions, "after_commit", self._after_commit)
        event.listen(sessions, "after_rollback", lambda sess: sess.info.pop(_PENDING, None))

    def _after_commit(self, sess: Session) -> None:
        for alert_id in sess.info.pop(_PENDING, []):
            self.send(alert_id)

    def send(self, alert_id: int) -> None:
        try:
            self.enqueue(DELIVER, [alert_id])
        except Exception:  # the broker is down: the sweep queues it (web/oncall/sweep.py)
            log.exception("on-call alert not queued: the sweep queues it", extra={"alert": alert_id})
