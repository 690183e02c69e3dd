"""One run of the status-update reader: the back-office's change feed after the stored cursor,
each change told to its resident once.

A run locks the cursor's row (``FOR UPDATE SKIP LOCKED``: a second run at the same time returns at
once), reads a page of changes after it, and in that one transaction writes, for each change, the
message (web/notify.py) and its ``status_update`` row (the change's id is the key), then moves the
cursor. The messages are dispatched after the commit. So:

* the platform down (web, worker or beat) while a change is made: the change waits in the feed, and
  the first run after the restart tells it;
* a run dying before its commit leaves nothing: the next run reads the same page again;
* a run dying after its commit, before dispatching: the messages are ``queued`` rows that the
  outbound sweep sends (web/outbound/sweep.py);
* a change already told (a cursor moved back by hand, a feed read again) is skipped by its id.

The back-office unreachable: nothing changes, the next run (20 s later) tries again.

A customer-service message WeChat refused after all (45047: the quota the window record did not
know was used; 45015 whose fallback was lost when the outbound sweep queued it again) is replaced
by the template message its ``status_update`` row kept (:func:`rescue_refused`, each run), once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime, timedelta

from sqlalchemy import and_, exists, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased, sessionmaker

from common.backoffice_client import BackofficeClient, BackofficeError, BackofficeUnavailable
from web.notify import CUSTOMER_SERVICE, TEMPLATE, Notifier, Sent
from web.outbound.models import OutboundMessage
from web.outbound.service import Template
from web.status_updates.messages import Change, notice_for
from web.status_updates.models import FEED, FeedCursor, StatusUpdate

log = logging.getLogger(__name__)

PAGE = 100
PAGES_PER_RUN = 10  # a backlog after a long stop is told 1,000 changes a run, 20 s apart
REASON = "status_update"
REFUSED = ("rate_limited", "window_closed")  # 45047 / 45015 (web/outbound/wechat_sender.py)
SETTLE = timedelta(minutes=2)


def _ensure_cursor(sess: Session) -> None:
    insert = postgresql.insert if sess.get_bind().dialect.name == "postgresql" else sqlite.insert
    sess.execute(insert(FeedCursor).values(name=FEED, position=0).on_conflict_do_nothing(index_elements=["name"]))


def read_once(
    sessions: sessionmaker, backoffice: BackofficeClient, notifier: Notifier, now: Callable[[], datetime]
) -> int:
    """Read and tell up to ``PAGES_PER_RUN`` pages of changes; returns how many were told."""
    told = 0
    for _ in range(PAGES_PER_RUN):
        sent, full = _one_page(sessions, backoffice, notifier, now)
        for one in sent:
            one.dispatch()  # a broker that is down leaves the rows queued: the outbound sweep sends them
        told += len(sent)
        if not full:
            break
    rescue_refused(sessions, notifier)
    return told


def rescue_refused(sessions: sessionmaker, notifier: Notifier, settle: timedelta = SETTLE) -> int:
    """Customer-service messages of status updates that WeChat refused and nothing replaced: their
    template message instead. 45047 (the quota used, which the record missed) has no fallback in the
    sender, and a 45015 whose task the outbound sweep queued again lost its fallback. Only rows refused
    ``settle`` ago: the sender writes its own fallback for a 45015 right after the refusal. Each is
    claimed (``channel`` cs → template) in the transaction that writes the template, so it goes once."""
    m, replacement = OutboundMessage, aliased(OutboundMessage)
    with sessions() as sess:
        now = sess.scalar(select(func.now())).replace(tzinfo=None)
        refused = sess.execute(
            select(StatusUpdate.change_id, StatusUpdate.recipient, StatusUpdate.template, m.id, m.ref)
            .join(m, m.id == StatusUpdate.outbound_id)
            .where(
                StatusUpdate.channel == CUSTOMER_SERVICE,
                StatusUpdate.template.is_not(None),
                m.status.in_(REFUSED),
                m.last_attempt_at < now - settle,
                ~exists().where(replacement.fallback_for == m.id),
            )
            .order_by(StatusUpdate.change_id)
            .limit(PAGE)
        ).all()
    rescued = 0
    for change_id, recipient, template, outbound_id, ref in refused:
        with sessions.begin() as sess:
            claimed = sess.execute(
                update(StatusUpdate)
                .where(and_(StatusUpdate.change_id == change_id, StatusUpdate.channel == CUSTOMER_SERVICE))
                .values(channel=TEMPLATE)
                .execution_options(synchronize_session=False)
            ).rowcount
            if not claimed:
                continue
            sent = notifier.record_template(sess, recipient, Template(**template), REASON, ref or "", outbound_id)
        sent.dispatch()
        rescued += 1
    if rescued:
        log.info("refused status updates sent as template messages", extra={"count": rescued})
    return rescued


def _one_page(
    sessions: sessionmaker, backoffice: BackofficeClient, notifier: Notifier, now: Callable[[], datetime]
) -> tuple[list[Sent], bool]:
    with sessions.begin() as sess:
        _ensure_cursor(sess)
    with sessions.begin() as sess:
        cursor = sess.scalar(select(FeedCursor).where(FeedCursor.name == FEED).with_for_update(skip_locked=True))
        if cursor is None:  # another run holds it
            return [], False
        try:
            page = backoffice.get("/changes", after=cursor.position, limit=PAGE)
        except (BackofficeUnavailable, BackofficeError) as exc:
            log.warning("change feed not read", extra={"error": str(exc)[:200]})
            return [], False
        changes = [Change.from_json(raw) for raw in page.get("changes", [])]
        sent = [one for change in changes if (one := _tell(sess, notifier, change, now())) is not None]
        if changes:
            cursor.position = max(cursor.position, changes[-1].id)
    return sent, len(changes) == PAGE


def _tell(sess: Session, notifier: Notifier, change: Change, now: datetime) -> Sent | None:
    if sess.get(StatusUpdate, change.id) is not None:
        return None  # told already
    notice = notice_for(change)
    if notice is None or not change.recipient:
        log.warning("change not told: unknown kind or no recipient", extra={"change": change.id, "kind": change.kind})
        return None
    sent = notifier.record(sess, change.recipient, notice, REASON, f"{change.domain}:{change.ref}"[:64], now)
    sess.add(
        StatusUpdate(
            change_id=change.id,
            domain=change.domain,
            kind=change.kind,
            ref=change.ref,
            recipient=change.recipient,
            channel=sent.channel,
            outbound_id=sent.outbound_ids[0] if sent.outbound_ids else None,
            template=asdict(notice.template) if sent.channel == CUSTOMER_SERVICE else None,
        )
    )
    log.info("status update told", extra={"change": change.id, "channel": sent.channel})
    return sent
