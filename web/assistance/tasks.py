"""Celery tasks: submitting what the outbox holds, with backoff, until the back-office takes it.

The idempotency key is the outbox id, so a retry after a lost answer, a redelivered task
or two workers racing all end with exactly one case. The resident is then told the
case number through the outbound messenger and in the conversation's transcript.
"""

from __future__ import annotations

import logging
from datetime import datetime

from celery.signals import worker_ready
from sqlalchemy import select, update
from sqlalchemy.orm import sessionmaker

from common.backoffice_client import BackofficeError, BackofficeUnavailable
from web.assistance.models import OutboxEntry
from web.conversations.models import Conversation, Message
from web.rasa_client import BotMessage
from web.worker import celery_app, services

log = logging.getLogger(__name__)

BACKOFF_BASE, BACKOFF_CAP = 2, 300  # seconds: 2, 4, 8 … then every 5 minutes, for as long as it takes
SUBMITTED = (
    "您之前保存的救助申请已经提交成功了，申请编号是 {case_no}，请记下来。"
    "社区救助顾问{advisor}（电话 {phone}）会在5个工作日内联系您，查进度时说“查一下申请进度”就行。"
)
REFUSED = "您之前保存的救助申请没能提交：{message}。请说“申请救助”重新办一次，或者说“转人工”让工作人员帮您。"
# Funeral and disability benefits (backoffice/benefits): the same outbox, their own endpoint and words.
BENEFIT_SUBMITTED = "您之前保存的{title}申请已经提交成功了，申请编号是 {case_no}，请记下来。接下来：{next_step}。"
BENEFIT_REFUSED = "您之前保存的申请没能提交：{message}。您可以重新申请一次，或者说“转人工”让工作人员帮您。"
PATHS = {"assistance_application": "/assistance/applications", "benefit_application": "/benefits/applications"}


def _submitted(kind: str, case: dict) -> str:
    if kind == "benefit_application":
        return BENEFIT_SUBMITTED.format(title=case["title"], case_no=case["case_no"], next_step=case["next_step"])
    return SUBMITTED.format(case_no=case["case_no"], advisor=case["advisor"]["name"], phone=case["advisor"]["phone"])


def _sessions() -> sessionmaker:
    return services().database.sessions


def backoff(retries: int) -> int:
    return min(BACKOFF_BASE * 2**retries, BACKOFF_CAP)


@celery_app.task(name="assistance.resubmit", bind=True, max_retries=None)
def resubmit(self, entry_id: str) -> None:
    with _sessions().begin() as sess:
        entry = sess.get(OutboxEntry, entry_id)
        if entry is None:
            return
        pending, body, kind = entry.status == "pending", dict(entry.body), entry.kind
    if pending:
        try:
            case = services().backoffice.post(PATHS[kind], body, idempotency_key=entry_id)
        except BackofficeUnavailable as exc:
            _record_attempt(entry_id, str(exc))
            raise self.retry(countdown=backoff(self.request.retries)) from exc
        except BackofficeError as exc:
            refused = BENEFIT_REFUSED if kind == "benefit_application" else REFUSED
            _finish(
                entry_id, "refused", {"error": exc.code, "message": exc.message}, refused.format(message=exc.message)
            )
        else:
            _finish(entry_id, "sent", {"case_no": case["case_no"]}, _submitted(kind, case))
    try:
        _notify(entry_id)
    except Exception as exc:  # e.g. the database went away between the two transactions: tell them later
        raise self.retry(countdown=backoff(self.request.retries)) from exc


def _record_attempt(entry_id: str, error: str) -> None:
    with _sessions().begin() as sess:
        entry = sess.get(OutboxEntry, entry_id)
        entry.attempts += 1
        entry.last_error = error[:500]


def _finish(entry_id: str, status: str, result: dict, notice: str) -> None:
    """Close the entry (only if still pending) and write the notice into the transcript, atomically."""
    with _sessions().begin() as sess:
        closed = sess.execute(
            update(OutboxEntry)
            .where(OutboxEntry.id == entry_id, OutboxEntry.status == "pending")
            .values(
                status=status,
                result={**result, "notice": notice},
                sent_at=datetime.now(),
                attempts=OutboxEntry.attempts + 1,
            )
        ).rowcount
        if closed:
            conversation_id = sess.get(OutboxEntry, entry_id).conversation_id
            sess.add(Message(conversation_id=conversation_id, author="bot", text=notice, meta={"outbox": entry_id}))
    log.info("outbox entry closed", extra={"outbox": entry_id, "status": status})


def _notify(entry_id: str) -> None:
    """Deliver the notice to the resident's channel: claimed with the message written, so it goes out once."""
    with _sessions().begin() as sess:
        claimed = sess.execute(
            update(OutboxEntry)
            .where(OutboxEntry.id == entry_id, OutboxEntry.status != "pending", OutboxEntry.notified_at.is_(None))
            .values(notified_at=datetime.now())
        ).rowcount
        if not claimed:
            return
        entry = sess.get(OutboxEntry, entry_id)
        sender_id, notice = sess.get(Conversation, entry.conversation_id).sender_id, entry.result["notice"]
        recorded = services().outbound.record(
            sess, sender_id, [BotMessage(text=notice)], reason="notification", ref=entry_id
        )
    services().outbound.dispatch(recorded)  # a worker dying here leaves the row queued: the outbound sweep sends it


@worker_ready.connect
def sweep_pending(**_kwargs) -> None:
    """Queue every entry still pending (their task may have been lost with a broker outage)."""
    with _sessions().begin() as sess:
        pending = sess.scalars(select(OutboxEntry.id).where(OutboxEntry.status == "pending")).all()
    for entry_id in pending:
        resubmit.delay(entry_id)
    if pending:
        log.info("pending outbox entries queued", extra={"count": len(pending)})
