"""The ``outbox`` side effect (registered in web/services.py): the bot could not submit an
application, so the platform keeps it.

The row is written in the same transaction as the turn's transcript; once that commits,
the resubmission task is queued. Should queuing fail, the worker picks up every pending
entry when it starts (``web.assistance.tasks``).
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from web.assistance.models import OutboxEntry
from web.conversations.models import Conversation

log = logging.getLogger(__name__)
KINDS = frozenset({"assistance_application", "benefit_application"})  # web/assistance/tasks.py submits each


def _queue_after_commit(sess: Session, entry_id: str) -> None:
    def enqueue(_sess: Session) -> None:
        from web.assistance.tasks import resubmit

        try:
            resubmit.delay(entry_id)
        except Exception:  # the broker is down: the worker sweeps pending entries when it starts
            log.exception("could not queue the outbox entry", extra={"outbox": entry_id})

    event.listen(sess, "after_commit", enqueue, once=True)


def keep_for_later(sess: Session, conv: Conversation, request: dict[str, Any]) -> None:
    """Keep the application; the bot's own message already tells the resident (no notice)."""
    kind, entry_id, body = request.get("kind"), str(request.get("id") or ""), request.get("body")
    if kind not in KINDS or not entry_id or not isinstance(body, dict):
        log.error("outbox request refused", extra={"kind": kind, "conversation": conv.id})
        return
    if sess.get(OutboxEntry, entry_id) is not None:  # the same confirmation, delivered twice
        return
    sess.add(OutboxEntry(id=entry_id, kind=kind, body=body, conversation_id=conv.id))
    _queue_after_commit(sess, entry_id)
    log.info("application kept in the outbox", extra={"outbox": entry_id, "conversation": conv.id})
