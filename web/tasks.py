"""Celery tasks (the app is ``web.worker``): outbound WeChat messages.

What they talk to comes from the worker process's services (``web.worker.services()``,
built once per process); the access_token is shared with every other process through Redis.
"""

from __future__ import annotations

from typing import Any

from web.channels.dedupe import ReplyLedger
from web.outbound import Outbound, sweep
from web.outbound.wechat_sender import WechatSender
from web.rasa_client import BotMessage
from web.texts import text as channel_text
from web.worker import celery_app, services

RETRY_DELAYS = (5, 30, 120)  # seconds before re-sending after WeChat stayed busy / unreachable
OWED_AFTER = 60  # seconds an owed reply may wait for its turn (the bot's own timeout is 30 s)


def _sender() -> WechatSender:
    return services().wechat_sender


def _owed_parts() -> tuple[ReplyLedger, Outbound]:
    return services().reply_ledger, services().outbound


@celery_app.task(name="wechat.owed_replies")
def owed_replies() -> int:
    """Residents who got ``success`` and whose reply died with a web process are asked to send
    their message again (web/channels/dedupe.py); returns how many."""
    ledger, outbound = _owed_parts()
    told = 0
    for key, openid in ledger.unpaid(OWED_AFTER):
        outbound.deliver(openid, [BotMessage(text=channel_text("interrupted"))], reason="interrupted")
        ledger.release(key, paid_to=openid)
        told += 1
    return told


@celery_app.task(name="wechat.requeue_unsent")
def requeue_unsent() -> int:
    """WeChat messages recorded while the broker was down are queued again (web/outbound/sweep.py)."""
    return sweep.requeue_unsent(services().database.sessions, services().outbound.enqueue)


def _countdown(retries: int) -> int:
    return RETRY_DELAYS[min(retries, len(RETRY_DELAYS) - 1)]


@celery_app.task(name="wechat.send_texts", bind=True, max_retries=len(RETRY_DELAYS))
def send_texts(self, ids: list[int], fallback: dict[str, Any] | None = None) -> None:
    """Customer-service texts of one turn, in order."""
    remaining = _sender().send_texts(ids, fallback)
    if remaining and self.request.retries >= self.max_retries:
        _sender().give_up(remaining)
    elif remaining:
        raise self.retry(args=[remaining, fallback], countdown=_countdown(self.request.retries))


@celery_app.task(name="wechat.send_template", bind=True, max_retries=len(RETRY_DELAYS))
def send_template(self, row_id: int) -> None:
    if _sender().send_template(row_id):
        return
    if self.request.retries >= self.max_retries:
        _sender().give_up([row_id])
    else:
        raise self.retry(countdown=_countdown(self.request.retries))
