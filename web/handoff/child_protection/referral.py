"""What the desk calls when a resident reports a child at risk: :func:`report_child_at_risk`."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from web.conversations.models import Conversation
from web.handoff.child_protection.models import ChildProtectionReferral

log = logging.getLogger(__name__)

# The kinds of danger the back-office takes (backoffice/child_protection/models.py: KINDS).
KINDS = frozenset(
    {"violence", "neglect", "abandonment", "no_food_or_money", "fall_or_collapse", "suicidal", "rough_sleeping"}
)
MAX_ACCOUNT = 10000  # characters the back-office takes; a longer message is cut, never refused


def report_child_at_risk(sess: Session, conv: Conversation, kind: str, account: str, now: datetime) -> None:
    """Hand a report of a child at risk to the back-office, for the child-protection worker of the resident's
    community (or the district's station when the sender is not verified).

    ``account`` is what the resident said, the whole message as written; ``now`` is when (naive UTC). The
    referral is written in ``sess``'s transaction, the caller's, and sent once that commits (Celery); should the
    transaction roll back, nothing is sent. Raises ``ValueError`` for a ``kind`` the back-office does not take
    (a programming error: it would only ever be refused)."""
    if kind not in KINDS:
        raise ValueError(f"unknown child-protection kind {kind!r}; one of {sorted(KINDS)}")
    referral = ChildProtectionReferral(
        id=f"cp-{uuid.uuid4().hex}", conversation_id=conv.id, kind=kind, account=account[:MAX_ACCOUNT], reported_at=now
    )
    sess.add(referral)
    _send_after_commit(sess, referral.id)
    log.info("child protection referral recorded", extra={"referral": referral.id, "conversation": conv.id})


def _send(referral_id: str) -> None:
    from web.handoff.child_protection.tasks import deliver

    deliver.delay(referral_id)


def _send_after_commit(sess: Session, referral_id: str) -> None:
    def send(_sess: Session) -> None:
        try:
            _send(referral_id)
        except Exception:  # the broker is down: the sweep sends it (web/handoff/child_protection/delivery.py)
            log.exception("could not queue the child protection referral", extra={"referral": referral_id})

    event.listen(sess, "after_commit", send, once=True)


def for_conversation(sess: Session, conversation_id: int) -> list[ChildProtectionReferral]:
    """A conversation's referrals, oldest first (the console's conversation page)."""
    return list(
        sess.scalars(
            select(ChildProtectionReferral)
            .where(ChildProtectionReferral.conversation_id == conversation_id)
            .order_by(ChildProtectionReferral.created_at, ChildProtectionReferral.id)
        )
    )
