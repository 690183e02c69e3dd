"""What the agent console shows of a ticket's on-call alert: one line and its tone.

已通知值班：王* 22:05 (ok) · 通知失败，已转给 李* 22:06 (warn) · 通知失败，请立即电话联系 (danger).
An alert still being sent after ``OVERDUE`` (no worker running, the gateway down for minutes)
is shown as a failure: the desk should not wait for it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import column, func, select, table
from sqlalchemy.orm import Session

from common.masking import mask_name
from web.oncall.config import oncall
from web.oncall.models import OncallAlert
from web.workdays import to_local

OVERDUE = timedelta(minutes=2)
# The desk's tickets, as far as counting open ones goes (the desk calls this package, so its
# models are not imported here).
_TICKETS = table("handoff_ticket", column("id"), column("status"))


@dataclass(frozen=True)
class AlertState:
    text: str
    tone: str  # ok, working, warn, danger
    alert: OncallAlert

    @property
    def failed(self) -> bool:
        return self.tone == "danger"

    @property
    def calls(self) -> list[tuple[datetime, str, str]]:
        """Each call to the gateway: when, to whom (masked), what came of it."""
        return [
            (c.at, _name({"name": c.name}), "已发出" if c.ok else f"没发出去（{c.error}）") for c in self.alert.calls
        ]


def _name(target: dict) -> str:
    return mask_name(str(target.get("name") or ""))


def state(alert: OncallAlert, now: datetime) -> AlertState:
    texts = oncall().texts
    name = _name(alert.target)
    if alert.status == "sent":
        at = to_local(alert.sent_at).strftime("%H:%M") if alert.sent_at else ""
        if alert.step == 0:
            return AlertState(texts["sent"].format(name=name, time=at), "ok", alert)
        return AlertState(texts["sent_after_escalation"].format(name=name, time=at), "warn", alert)
    if alert.status == "failed":
        return AlertState(texts["failed"], "danger", alert)
    waited = now - alert.created_at
    if waited > OVERDUE:
        return AlertState(texts["overdue"].format(minutes=int(waited.total_seconds() // 60)), "danger", alert)
    if alert.status == "escalated" and alert.step > 0:
        failed = _name(alert.targets[alert.step - 1])
        return AlertState(texts["escalating"].format(failed=failed, name=name), "warn", alert)
    return AlertState(texts["pending"].format(name=name), "working", alert)


def latest(sess: Session, ticket_ids: Iterable[int], now: datetime) -> dict[int, AlertState]:
    """The state of each ticket's latest alert (tickets without one are left out)."""
    ids = sorted(set(ticket_ids))
    if not ids:
        return {}
    found: dict[int, AlertState] = {}
    for alert in sess.scalars(
        select(OncallAlert).where(OncallAlert.ticket_id.in_(ids)).order_by(OncallAlert.ticket_id, OncallAlert.id)
    ):
        found[alert.ticket_id] = state(alert, now)  # the latest of each ticket wins
    return found


def failed_open(sess: Session) -> int:
    """Open tickets whose alert reached nobody (the admin landing page counts them)."""
    return (
        sess.scalar(
            select(func.count(func.distinct(OncallAlert.ticket_id)))
            .join(_TICKETS, _TICKETS.c.id == OncallAlert.ticket_id)
            .where(OncallAlert.status == "failed", _TICKETS.c.status != "closed")
        )
        or 0
    )
