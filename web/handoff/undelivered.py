"""An agent's reply that WeChat would not take, kept and shown until a person has reached the resident.

When WeChat refuses a customer-service message because the resident's 48-hour window closed
(45015) or its quota is used up (45047: web/outbound/cs_window.py), the sender
(web/outbound/wechat_sender.py) hands the agent's messages of that turn to :class:`CallBacks`
(wired in web/services.py: the sender stands below the desk and does not import it), which calls
:func:`keep`: each
becomes a *call-back task* (``callback_task``) in the same transaction as the desk's event, so the
console shows it at once on the resident's conversation (and the queue page counts the open
ones). The row itself keeps the text (``outbound_message``); nothing is sent again by itself — the
agent calls the resident back (or waits for them to write and sends it again) and marks the task
done (:func:`done`, audited by the console). Nothing an agent writes is lost without them seeing it.
A resident who accepted the ``reply`` subscription template (web/subscriptions/) is told by a
subscription notice, once per batch of open tasks, that a reply is waiting and someone will call:
an agent's free text does not fit a notice's fields (a ``thing`` holds 20 characters), so the notice
cannot carry the reply itself.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from web.conversations.models import Conversation
from web.handoff import events
from web.outbound import Outbound
from web.outbound.models import CallbackTask, OutboundMessage
from web.subscriptions import send, templates
from web.wechat_api import RuleBroken
from web.workdays import LOCAL

log = logging.getLogger(__name__)

UNDELIVERED = ("window_closed", "rate_limited")
KEPT_REASONS = ("agent",)  # whose refused messages become call-back tasks
NOTICE_TEMPLATE = "reply"  # web/subscriptions/templates.yml
NOTICE_TOPIC, NOTICE_TEXT = "您的留言", "工作人员已回复您，请留意来电"  # thing: at most 20 characters each


@dataclass(frozen=True)
class Undelivered:
    """One open call-back task as the console shows it."""

    task_id: int
    outbound_id: int
    text: str
    reason: str  # window_closed | rate_limited
    written_at: datetime | None
    notice_sent: bool = False  # a subscription notice told the resident a reply is waiting


@dataclass(frozen=True)
class Kept:
    """What :func:`keep` wrote: the messages now call-back tasks, and the notices to dispatch after the commit."""

    outbound_ids: list[int] = field(default_factory=list)
    notices: list[int] = field(default_factory=list)


class CallBacks:
    """What the WeChat sender calls with the ids of messages WeChat refused (45015 / 45047): the
    agents' among them become call-back tasks in one transaction, and the notices :func:`keep`
    wrote are queued after its commit (without a broker here, the outbound sweep queues them)."""

    def __init__(self, sessions: sessionmaker, outbound: Outbound | None = None) -> None:
        self.sessions, self.outbound = sessions, outbound

    def __call__(self, outbound_ids: list[int]) -> None:
        with self.sessions.begin() as sess:
            kept = keep(sess, outbound_ids)
        if kept.outbound_ids:
            log.warning("agent messages undelivered, kept for a call-back", extra={"outbound_ids": kept.outbound_ids})
        if self.outbound is not None:
            for notice_id in kept.notices:
                send.dispatch_notice(self.outbound, notice_id)


def keep(sess: Session, outbound_ids: Iterable[int], now: datetime | None = None) -> Kept:
    """Call-back tasks for the agents' messages among ``outbound_ids`` that WeChat refused (once
    each: a redelivered task adds none), announced to the console after the commit. A resident who
    had none open and accepted the ``reply`` subscription template is told by a notice that a reply
    is waiting and someone will call (web/subscriptions/send.py; ``dispatch_notice`` the ids after
    the commit)."""
    m = OutboundMessage
    rows = sess.scalars(
        select(m)
        .where(m.id.in_(list(outbound_ids)), m.status.in_(UNDELIVERED), m.reason.in_(KEPT_REASONS))
        .order_by(m.id)
    ).all()
    known = set(
        sess.scalars(select(CallbackTask.outbound_id).where(CallbackTask.outbound_id.in_([r.id for r in rows])))
    )
    fresh = [r for r in rows if r.id not in known]
    notices = []
    for recipient in dict.fromkeys(r.recipient for r in fresh):
        already_open = sess.scalar(
            select(func.count())
            .select_from(CallbackTask)
            .where(CallbackTask.recipient == recipient, CallbackTask.done_at.is_(None))
        )
        notice_id = None if already_open else _notice(sess, recipient, now or datetime.now(LOCAL))
        if notice_id is not None:
            notices.append(notice_id)
        for row in (r for r in fresh if r.recipient == recipient):
            sess.add(CallbackTask(outbound_id=row.id, recipient=recipient, reason=row.status, notice_id=notice_id))
        conversation_id = sess.scalar(select(Conversation.id).where(Conversation.sender_id == recipient))
        if conversation_id is not None:  # no resident data in the event: the page reads the rest
            events.record(sess, "undelivered", conversation_id)
    return Kept([r.id for r in fresh], notices)


def _notice(sess: Session, openid: str, now: datetime) -> int | None:
    """A subscription notice that a reply is waiting, if the resident accepted the template."""
    local = (now if now.tzinfo else now.replace(tzinfo=timezone.utc)).astimezone(LOCAL)  # naive: UTC
    values = {
        "thing1": NOTICE_TOPIC,
        "thing2": NOTICE_TEXT,
        "time3": f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}",
    }
    try:
        return send.record_notice(sess, openid, NOTICE_TEMPLATE, values, reason="agent_undelivered")
    except (send.NotOptedIn, templates.UnknownTemplate):
        return None
    except RuleBroken:  # the texts below are the platform's own: a broken one is a bug, logged, not fatal
        log.exception("reply notice breaks the field rules")
        return None


def for_resident(sess: Session, recipient: str) -> list[Undelivered]:
    """The resident's open call-back tasks, oldest first."""
    t, m = CallbackTask, OutboundMessage
    found = sess.execute(
        select(t.id, m.id, m.body, t.reason, m.created_at, t.notice_id)
        .join(m, m.id == t.outbound_id)
        .where(t.recipient == recipient, t.done_at.is_(None))
        .order_by(t.id)
    ).all()
    return [
        Undelivered(tid, mid, str((body or {}).get("content", "")), reason, at, notice is not None)
        for tid, mid, body, reason, at, notice in found
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
