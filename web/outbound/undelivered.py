"""An agent's reply that WeChat would not take, kept and shown until a person has reached the resident.

When WeChat refuses a customer-service message because the resident's 48-hour window closed
(45015) or its quota is used up (45047: web/outbound/cs_window.py), the sender
(web/outbound/wechat_sender.py) calls :func:`keep` for the agent's messages of that turn: each
becomes a *call-back task* (``callback_task``) in the same transaction as the desk's event, so the
console shows it at once on the resident's conversation (and the queue page counts the open
ones). The row itself keeps the text (``outbound_message``); nothing is sent again by itself — the
agent calls the resident back (or waits for them to write and sends it again) and marks the task
done (:func:`done`, audited by the console). Nothing an agent writes is lost without them seeing it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from web.conversations.models import Conversation
from web.handoff import events
from web.outbound.models import CallbackTask, OutboundMessage

UNDELIVERED = ("window_closed", "rate_limited")
KEPT_REASONS = ("agent",)  # whose refused messages become call-back tasks


@dataclass(frozen=True)
class Undelivered:
    """One open call-back task as the console shows it."""

    task_id: int
    outbound_id: int
    text: str
    reason: str  # window_closed | rate_limited
    written_at: datetime | None


def keep(sess: Session, outbound_ids: Iterable[int]) -> list[int]:
    """Call-back tasks for the agents' messages among ``outbound_ids`` that WeChat refused (once
    each: a redelivered task adds none), announced to the console after the commit. Returns the
    new tasks' outbound ids."""
    m = OutboundMessage
    rows = sess.scalars(
        select(m)
        .where(m.id.in_(list(outbound_ids)), m.status.in_(UNDELIVERED), m.reason.in_(KEPT_REASONS))
        .order_by(m.id)
    ).all()
    known = set(
        sess.scalars(select(CallbackTask.outbound_id).where(CallbackTask.outbound_id.in_([r.id for r in rows])))
    )
    kept = [r for r in rows if r.id not in known]
    for row in kept:
        sess.add(CallbackTask(outbound_id=row.id, recipient=row.recipient, reason=row.status))
    for recipient in {r.recipient for r in kept}:
        conversation_id = sess.scalar(select(Conversation.id).where(Conversation.sender_id == recipient))
        if conversation_id is not None:  # no resident data in the event: the page reads the rest
            events.record(sess, "undelivered", conversation_id)
    return [r.id for r in kept]


def for_resident(sess: Session, recipient: str) -> list[Undelivered]:
    """The resident's open call-back tasks, oldest first."""
    t, m = CallbackTask, OutboundMessage
    found = sess.execute(
        select(t.id, m.id, m.body, t.reason, m.created_at)
        .join(m, m.id == t.outbound_id)
        .where(t.recipient == recipient, t.done_at.is_(None))
        .order_by(t.id)
    ).all()
    return [
        Undelivered(tid, mid, str((body or {}).get("content", "")), reason, at) for tid, mid, body, reason, at in found
    ]


def open_by_conversation(sess: Session) -> list[tuple[int, int]]:
    """(conversation id, open call-back tasks) for every resident who has some, oldest first (the
    queue page's reminder)."""
    t = CallbackTask
    return [
        (conversation_id, count)
        for conversation_id, count in sess.execute(
            select(Conversation.id, func.count(t.id))
            .join(Conversation, Conversation.sender_id == t.recipient)
            .where(t.done_at.is_(None))
            .group_by(Conversation.id)
            .order_by(func.min(t.id))
        )
    ]


def done(sess: Session, task_id: int, recipient: str, username: str, now: datetime) -> bool:
    """The agent reached the resident: the task is closed (False when it was not open)."""
    task = sess.get(CallbackTask, task_id)
    if task is None or task.recipient != recipient or task.done_at is not None:
        return False
    task.done_at, task.done_by = now, username[:64]
    return True
