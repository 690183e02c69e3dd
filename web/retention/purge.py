"""What is deleted or anonymised once older than ``RETENTION_DAYS`` (default 180).

Each domain registers a purger for its own tables with :func:`purger`; they run in
registration order, in one transaction, from the daily Celery beat task
(web/retention/tasks.py). Analytics events hold no personal data and are kept. The audit
log has its own, longer period (``AUDIT_RETENTION_DAYS``, default 365, never under the
180 days the Cybersecurity Law asks for): it is the record of who looked at residents' data.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, String, and_, cast, delete, func, literal, or_, select, update
from sqlalchemy.orm import Session

from web.admin.audit import AuditEntry
from web.assistance.models import OutboxEntry
from web.conversations.models import Conversation, Message
from web.feedback.models import Rating
from web.handoff.child_protection.models import ChildProtectionReferral
from web.handoff.models import Note, Ticket
from web.oncall.models import OncallAlert
from web.outbound.models import CallbackTask, OutboundMessage
from web.policy.models import PolicyCampaign, PolicyDelivery
from web.review.models import ReviewItem
from web.status_updates.models import StatusUpdate

log = logging.getLogger(__name__)

Purger = Callable[[Session, datetime], int]  # (session, cutoff) -> rows deleted or anonymised
PERSONAL, AUDIT = "personal", "audit"  # the two retention periods
_PURGERS: dict[str, tuple[str, Purger]] = {}


def purger(name: str, period: str = PERSONAL) -> Callable[[Purger], Purger]:
    def register(fn: Purger) -> Purger:
        _PURGERS[name] = (period, fn)
        return fn

    return register


def cutoff_for(days: int, now: datetime | None = None) -> datetime:
    return (now or datetime.now()) - timedelta(days=days)


def purge(sess: Session, cutoffs: dict[str, datetime]) -> dict[str, int]:
    """Run every purger with its period's cutoff (``cutoffs``: ``PERSONAL`` and ``AUDIT``)."""
    done = {name: fn(sess, cutoffs[period]) for name, (period, fn) in _PURGERS.items()}
    log.info(
        "retention purge",
        extra={
            **{f"cutoff_{k}": v.isoformat() for k, v in cutoffs.items()},
            **{f"purged_{k}": v for k, v in done.items()},
        },
    )
    return done


@purger("review_items")
def _review_items(sess: Session, cutoff: datetime) -> int:
    return sess.execute(delete(ReviewItem).where(ReviewItem.created_at < cutoff)).rowcount


@purger("rating_comments")
def _rating_comments(sess: Session, cutoff: datetime) -> int:
    """Ratings stay (levels are statistics); what the resident wrote goes."""
    return sess.execute(
        update(Rating)
        .where(Rating.created_at < cutoff, (Rating.comment.is_not(None)) | (Rating.follow_up_note.is_not(None)))
        .values(comment=None, follow_up_note=None)
    ).rowcount


@purger("outbound_messages")
def _outbound_messages(sess: Session, cutoff: datetime) -> int:
    """What was sent and to whom goes; the status and receipt stay for the delivery statistics."""
    return sess.execute(
        update(OutboundMessage)
        .where(OutboundMessage.created_at < cutoff, OutboundMessage.recipient != "expired")
        .values(body={}, recipient="expired")
    ).rowcount


@purger("status_updates")
def _status_updates(sess: Session, cutoff: datetime) -> int:
    """Whom a change was told to, and its case number, go; the change's id stays, so it is never told again."""
    return sess.execute(
        update(StatusUpdate)
        .where(StatusUpdate.told_at < cutoff, StatusUpdate.recipient != "expired")
        .values(recipient="expired", ref="")
    ).rowcount


@purger("callback_tasks")
def _callback_tasks(sess: Session, cutoff: datetime) -> int:
    """Replies WeChat refused, once an agent reached the resident; one still open stays (web/handoff/undelivered.py)."""
    return sess.execute(
        delete(CallbackTask).where(CallbackTask.created_at < cutoff, CallbackTask.done_at.is_not(None))
    ).rowcount


@purger("outbox_entries")
def _outbox_entries(sess: Session, cutoff: datetime) -> int:
    """Submitted applications' copies (ID numbers, hardship) go; one still pending is never dropped."""
    return sess.execute(
        delete(OutboxEntry).where(OutboxEntry.created_at < cutoff, OutboxEntry.status != "pending")
    ).rowcount


@purger("child_protection_accounts")
def _child_protection_accounts(sess: Session, cutoff: datetime) -> int:
    """What the resident said goes from referrals the back-office has answered (it keeps the case); the reference
    and assignee stay. One still pending is never emptied: it has yet to be sent."""
    r = ChildProtectionReferral
    return sess.execute(
        update(r).where(r.created_at < cutoff, r.status != "pending", r.account != "").values(account="")
    ).rowcount


@purger("handoff_notes")
def _handoff_notes(sess: Session, cutoff: datetime) -> int:
    return sess.execute(delete(Note).where(Note.created_at < cutoff)).rowcount


@purger("callback_phones")
def _callback_phones(sess: Session, cutoff: datetime) -> int:
    return sess.execute(
        update(Ticket).where(Ticket.queued_at < cutoff, Ticket.callback_phone.is_not(None)).values(callback_phone=None)
    ).rowcount


@purger("oncall_summaries")
def _oncall_summaries(sess: Session, cutoff: datetime) -> int:
    """What the resident said goes from the on-call alert; whom it reached, and when, stays."""
    return sess.execute(
        update(OncallAlert).where(OncallAlert.created_at < cutoff, OncallAlert.summary != "").values(summary="")
    ).rowcount


def _idle_deliveries(cutoff: datetime) -> ColumnElement[bool]:
    """Deliveries of a campaign started (or finished, or created) before ``cutoff`` that nothing has
    happened to since (no claim, send, open, reply, application, retry after it), whatever the campaign's
    state: a paused, draft or never-finishing campaign keeps nobody longer than a finished one."""
    d = PolicyDelivery
    old_campaigns = select(PolicyCampaign.id).where(
        func.coalesce(PolicyCampaign.started_at, PolicyCampaign.finished_at, PolicyCampaign.created_at) < cutoff
    )
    quiet = [
        or_(at.is_(None), at < cutoff)
        for at in (d.claimed_at, d.sent_at, d.opened_at, d.replied_at, d.applied_at, d.next_attempt_at)
    ]
    return and_(d.campaign_id.in_(old_campaigns), *quiet)


@purger("policy_deliveries_unsent")
def _policy_deliveries_unsent(sess: Session, cutoff: datetime) -> int:
    """A push still waiting after the retention period is not sent any more: its audience was computed
    that long ago, and its name and openid go next (``policy_deliveries``). Cancelled, with the reason."""
    return sess.execute(
        update(PolicyDelivery)
        .where(_idle_deliveries(cutoff), PolicyDelivery.status == "pending")
        .values(status="cancelled", reason="retention")
    ).rowcount


@purger("policy_deliveries")
def _policy_deliveries(sess: Session, cutoff: datetime) -> int:
    """Who was pushed goes (name, openid, registry id); statuses and timestamps stay for the funnel and the
    campaign's counts. Nothing is pushed twice: the audience is computed once, when the campaign starts."""
    return sess.execute(
        update(PolicyDelivery)
        .where(_idle_deliveries(cutoff), PolicyDelivery.openid != "expired")
        .values(name="", openid="expired", resident_id=-PolicyDelivery.id)
    ).rowcount


@purger("audit_entries", period=AUDIT)
def _audit_entries(sess: Session, cutoff: datetime) -> int:
    return sess.execute(delete(AuditEntry).where(AuditEntry.at < cutoff)).rowcount


@purger("messages")
def _messages(sess: Session, cutoff: datetime) -> int:
    return sess.execute(delete(Message).where(Message.created_at < cutoff)).rowcount


@purger("conversations")
def _conversations(sess: Session, cutoff: datetime) -> int:
    """The resident's id (WeChat openid) is replaced; a resident who comes back starts a new conversation."""
    return sess.execute(
        update(Conversation)
        .where(Conversation.last_message_at < cutoff, ~Conversation.sender_id.startswith("expired:"))
        .values(sender_id=literal("expired:", String) + cast(Conversation.id, String))
    ).rowcount
