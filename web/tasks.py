"""Celery tasks (the app is ``web.worker``): outbound WeChat messages.

Each worker process builds its database engine, Redis client and WeChat API client
once, on first use; the access_token is shared with every other process through Redis.
"""
from __future__ import annotations

from functools import cache
from typing import Any

import redis
from sqlalchemy.orm import sessionmaker

from common import redis_client, settings
from common.db import Database
from web.channels.dedupe import ReplyLedger
from web.channels.texts import text as channel_text
from web.outbound import Outbound, sweep
from web.outbound.service import celery_enqueue
from web.outbound.wechat_sender import EarlyReceipts, WechatSender
from web.rasa_client import BotMessage
from web.wechat_api import WechatApi
from web.worker import celery_app

RETRY_DELAYS = (5, 30, 120)  # seconds before re-sending after WeChat stayed busy / unreachable
OWED_AFTER = 60  # seconds an owed reply may wait for its turn (the bot's own timeout is 30 s)


@cache
def _sessions() -> sessionmaker:
    return Database(settings.load().database_url).sessions


@cache
def _redis() -> redis.Redis:
    return redis_client.connect(settings.load().redis_url)


@cache
def _sender() -> WechatSender:
    config = settings.load()
    api = WechatApi(_redis(), config.wechat_api_base, config.wechat_app_id, config.wechat_app_secret)
    return WechatSender(_sessions(), api, EarlyReceipts(_redis()))


@cache
def _owed_parts() -> tuple[ReplyLedger, Outbound]:
    return ReplyLedger(_redis()), Outbound(_sessions(), _redis())


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
    return sweep.requeue_unsent(_sessions(), celery_enqueue)


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
