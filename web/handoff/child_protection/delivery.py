"""Sending a referral to the back-office (``POST /child-protection/cases``), and finding the ones to send again.

:func:`deliver` makes one attempt and records it: sent (the case's reference and assignee kept on the row),
refused (a 4xx: recorded, shown in the console, never sent again), or still pending (the back-office could
not be reached or failed: the Celery task retries with backoff). :func:`stalled` is the sweep's: pending
referrals nothing is sending, because the broker lost the task or every retry of it failed.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from enum import Enum

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import sessionmaker

from common.backoffice_client import BackofficeClient, BackofficeError, BackofficeUnavailable
from web.conversations.models import Conversation
from web.handoff.child_protection.models import ChildProtectionReferral

log = logging.getLogger(__name__)

PATH = "/child-protection/cases"
# Longer than a task's retries normally take together (backoff 2+4+8+16+32 s, six calls refused at once while
# the back-office is down): a pending referral untouched for this long has no task left. Should one still be
# running (calls that each ran into their timeouts), the second task is harmless: same key, and only a
# pending row is closed.
STALLED_AFTER = timedelta(minutes=3)
BATCH = 200


class Outcome(Enum):
    SENT = "sent"
    REFUSED = "refused"
    UNAVAILABLE = "unavailable"  # try again
    DONE_BEFORE = "done_before"  # not pending (any more): nothing to do


def request_body(referral: ChildProtectionReferral, sender: str, console_base: str) -> dict:
    """The same body on every attempt, so the back-office's idempotency check sees one request: the console link
    is the one the first attempt fixed on the row, when there is one."""
    return {
        "sender": sender,
        "kind": referral.kind,
        "account": referral.account,
        "conversation_url": referral.conversation_url
        or f"{console_base}/console/conversations/{referral.conversation_id}",
        "reported_at": referral.reported_at.replace(tzinfo=UTC).isoformat(timespec="seconds"),
    }


def deliver(sessions: sessionmaker, backoffice: BackofficeClient, console_base: str, referral_id: str) -> Outcome:
    """One attempt to hand the referral over (``console_base``: the platform's public base URL)."""
    with sessions.begin() as sess:
        referral = sess.get(ChildProtectionReferral, referral_id)
        if referral is None or referral.status != "pending":
            return Outcome.DONE_BEFORE
        body = request_body(referral, sess.get(Conversation, referral.conversation_id).sender_id, console_base)
        referral.conversation_url = body["conversation_url"]
    try:
        case = backoffice.post(PATH, body, idempotency_key=referral_id)
    except BackofficeUnavailable as exc:
        _record(sessions, referral_id, last_error=str(exc)[:500])
        log.warning("child protection referral not sent yet", extra={"referral": referral_id})
        return Outcome.UNAVAILABLE
    except BackofficeError as exc:
        _record(sessions, referral_id, status="refused", last_error=f"{exc.code}: {exc.message}"[:500])
        log.error("child protection referral refused", extra={"referral": referral_id, "error": exc.code})
        return Outcome.REFUSED
    _record(
        sessions,
        referral_id,
        status="sent",
        reference=case["reference"],
        assigned_to=case["assigned_to"],
        last_error=None,
        sent_at=datetime.now(UTC).replace(tzinfo=None),
    )
    log.info("child protection referral sent", extra={"referral": referral_id, "reference": case["reference"]})
    return Outcome.SENT


def _record(sessions: sessionmaker, referral_id: str, **values) -> None:
    """Count the attempt; a closing one (``status``) only while the referral is still pending, so of a retry and
    a sweep racing, one closes it and the other changes nothing."""
    r = ChildProtectionReferral
    with sessions.begin() as sess:
        sess.execute(
            update(r)
            .where(r.id == referral_id, r.status == "pending")
            .values(attempts=r.attempts + 1, last_attempt_at=func.now(), **values)
        )


def stalled(sessions: sessionmaker, stalled_after: timedelta = STALLED_AFTER) -> list[str]:
    """Pending referrals nothing is sending: never tried and older than ``stalled_after`` (the task was lost
    with the broker), or last tried longer ago than that (every retry failed)."""
    r = ChildProtectionReferral
    with sessions.begin() as sess:
        now = sess.scalar(select(func.now())).replace(tzinfo=None)  # the rows' clock, not ours
        cutoff = now - stalled_after
        return list(
            sess.scalars(
                select(r.id)
                .where(
                    r.status == "pending",
                    or_(
                        and_(r.last_attempt_at.is_(None), r.created_at <= cutoff),
                        r.last_attempt_at <= cutoff,
                    ),
                )
                .order_by(r.created_at)
                .limit(BATCH)
            )
        )
