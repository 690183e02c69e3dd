"""What the platform does with a WeChat message, and what it answers WeChat within 5 seconds.

``WechatChannel.answer(incoming)`` returns the passive reply's text, or None for
``success``. Messages for the bot go through the routing point in a worker thread;
if the bot's turn is ready within the budget (``WECHAT_REPLY_BUDGET``) and fits in
one message it is the passive reply, otherwise WeChat gets ``success`` at once and
the turn goes out through ``Outbound`` (the customer-service API, from Celery). The
passive reply leaves as soon as the bot's turn is known; the worker thread writes the
turn's transcript lines after it (``Router.answer``).
``dedupe.ReplyLedger`` makes sure each delivery is processed once and answered once.

Without Redis there is no ledger, and no bot either (Rasa keeps its conversations there):
subscriptions and receipts are still recorded, and a message for the bot is kept in the
transcript while the resident is told so and asked to send it again later.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Protocol

import redis
from sqlalchemy.orm import sessionmaker

from common import metrics
from web.channels import wechat_menu
from web.channels.dedupe import DONE, PENDING, ReplyLedger, passive_text
from web.channels.ratelimit import ResidentRateLimit
from web.channels.wechat_protocol import Incoming
from web.conversations.router import Answer, Inbound, Router
from web.outbound import Outbound, consent, cs_window
from web.outbound.wechat_sender import EarlyReceipts, record_receipt
from web.rasa_client import BotMessage
from web.subscriptions import events as notice_events
from web.texts import text as channel_text
from web.texts import wechat_text
from web.texts.choices import Choices, as_words
from web.wechat_api import WechatApiError
from web.workdays import utcnow

log = logging.getLogger(__name__)

MAX_TEXT = 2000  # characters of one resident message
RASA_TIMEOUT = 30.0  # a slow turn is delivered asynchronously, but not waited for forever
CHANNEL = "wechat"


class Photos(Protocol):
    """Where a resident's photo goes (web/documents/intake.Intake): each returns the reply text."""

    max_bytes: int
    too_large: str  # what a resident is told about a file over ``max_bytes``

    def photo(self, channel: str, sender_id: str, data: bytes) -> str: ...

    def download_failed(self, channel: str, sender_id: str) -> str: ...

    def answer(self, channel: str, sender_id: str, text: str) -> str | None:
        """The reply when ``text`` answers the photo's question; None: the message is for the bot."""
        ...


@dataclass(frozen=True)
class Reply:
    """Answer at once with this text (empty: ``success``), without the bot."""

    text: str = ""


class WechatChannel:
    def __init__(
        self,
        router: Router,
        outbound: Outbound,
        sessions: sessionmaker,
        ledger: ReplyLedger,
        limiter: ResidentRateLimit,
        choices: Choices,
        receipts: EarlyReceipts,
        budget: float,
        pool: ThreadPoolExecutor,
        windows: redis.Redis | None = None,
        photos: Photos | None = None,
        media: Callable[[str, int], bytes] | None = None,
    ) -> None:
        """``photos``: image messages are documents for the resident's applications, downloaded
        with ``media`` (``WechatApi.get_media``); none: an image is answered as any non-text."""
        self.router, self.outbound, self.sessions = router, outbound, sessions
        self.ledger, self.limiter, self.choices, self.receipts = ledger, limiter, choices, receipts
        self.budget, self.pool = budget, pool
        self.windows = windows  # the customer-service window and quota (web/outbound/cs_window.py)
        self.photos, self.media = photos, media

    def answer(self, incoming: Incoming, redis_up: bool = True) -> str | None:
        """``redis_up`` False: Redis already failed to answer during this request (its
        nonce check), so the message is answered without it at once."""
        if not redis_up:
            return self._without_redis(incoming)
        key = incoming.dedupe_key
        try:
            fresh = self.ledger.claim(key)
        except redis.RedisError:
            return self._without_redis(incoming)
        if not fresh:
            return self._answer_retry(key, incoming.openid)
        self._opens_window(incoming)
        try:
            action = self._dispatch(incoming)
        except Exception:  # a broken dependency must not leave WeChat retrying into the same failure
            log.exception("wechat message could not be handled", extra={"kind": incoming.kind})
            action = Reply(channel_text("failure"))
        if isinstance(action, Inbound):
            return self._to_bot(key, action)
        self.ledger.settle(key, DONE + action.text)
        self.ledger.release(key)
        return action.text or None

    def _without_redis(self, msg: Incoming) -> str | None:
        log.error("redis unavailable: wechat message answered without the bot", extra={"kind": msg.kind})
        try:
            action = self._dispatch(msg, redis_up=False)
            if isinstance(action, Inbound):
                told = channel_text("unavailable")
                self.router.record_unanswered(action, told, "redis_unavailable")
                action = Reply(told)
        except Exception:  # the database is down too: nothing can be kept, and the resident is not told it was
            log.exception("wechat message could not be recorded", extra={"kind": msg.kind})
            action = Reply(channel_text("failure"))
        return action.text or None

    def _opens_window(self, msg: Incoming) -> None:
        """A fresh message or event as WeChat counts it: the customer-service grant it opens (or
        closes, unfollowing), whatever the platform answers (a rate-limited message counts too)."""
        if self.windows is None:
            return
        try:
            if msg.kind == "event" and msg.event == "unsubscribe":
                cs_window.record_closed(self.windows, msg.openid)
            elif scene := cs_window.scene_of(msg.kind, msg.event):
                cs_window.record_inbound(self.windows, msg.openid, scene, utcnow())
        except redis.RedisError:  # the console shows the window as unknown; WeChat's answer still decides
            log.warning("customer-service window not recorded, redis unavailable", extra={"kind": msg.kind})

    # -- what a message means -------------------------------------------------------------
    def _dispatch(self, msg: Incoming, redis_up: bool = True) -> Inbound | Reply:
        if msg.kind == "event":
            return self._event(msg, redis_up)
        if redis_up and not self.limiter.allow(msg.openid):
            return Reply(channel_text("rate_limited"))
        if msg.kind in ("text", "voice"):
            said = msg.text.strip()
            if not said:
                return Reply(channel_text("no_recognition" if msg.kind == "voice" else "non_text"))
            if len(said) > MAX_TEXT:
                return Reply(channel_text("too_long"))
            if redis_up and self.photos is not None and (told := self.photos.answer(CHANNEL, msg.openid, said)):
                return Reply(told)  # which document the last photo was
            metadata = {"input": "voice"} if msg.kind == "voice" else {}
            sent = (self.choices.resolve(msg.openid, said) if redis_up else None) or as_words(said)
            return Inbound(CHANNEL, msg.openid, sent, metadata, transcript=said if sent != said else None)
        if msg.kind == "location":
            if msg.latitude is None or msg.longitude is None:
                return Reply(channel_text("bad_location"))
            where = {"latitude": msg.latitude, "longitude": msg.longitude}
            trigger = "/eldercare_find" + json.dumps(where)
            return Inbound(
                CHANNEL,
                msg.openid,
                trigger,
                {"location": {**where, "label": msg.label}},
                transcript=f"[位置] {msg.label or ''} ({msg.latitude}, {msg.longitude})",
            )
        if msg.kind == "image" and self.photos is not None and self.media is not None and msg.media_id:
            if not redis_up:  # the access_token and the question live in Redis: asked to send it again
                return Reply(self.photos.download_failed(CHANNEL, msg.openid))
            try:
                data = self.media(msg.media_id, self.photos.max_bytes)
            except WechatApiError as exc:
                log.warning("wechat image not downloaded", extra={"errcode": exc.errcode})
                return Reply(self.photos.download_failed(CHANNEL, msg.openid))
            return Reply(self.photos.photo(CHANNEL, msg.openid, data))
        return Reply(channel_text("non_text"))  # video, link, file …

    def _event(self, msg: Incoming, redis_up: bool) -> Inbound | Reply:
        if msg.event in ("subscribe", "subscribe_scan"):
            with self.sessions.begin() as sess:
                consent.record_subscribe(sess, msg.openid)
            return Reply(channel_text("welcome"))
        if msg.event == "unsubscribe":
            with self.sessions.begin() as sess:
                consent.record_unsubscribe(sess, msg.openid)
            return Reply()
        if msg.event in notice_events.EVENTS:  # subscription notices: consent per template, receipts
            with self.sessions.begin() as sess:
                notice_events.record(sess, msg.event, msg.openid, msg.notices)
            for msgid, status in notice_events.receipts(msg.event, msg.notices):  # as TEMPLATESENDJOBFINISH's
                record_receipt(self.sessions, msgid, status, self.receipts if redis_up else None)
            return Reply()
        if msg.event == "templatesendjobfinish":
            record_receipt(self.sessions, msg.msg_id, msg.status, self.receipts if redis_up else None)
            return Reply()
        item = (
            wechat_menu.for_click(msg.event_key)
            if msg.event == "click"
            else wechat_menu.for_view(msg.event_key)
            if msg.event == "view"
            else None
        )
        if item is None:
            return Reply()  # location reports, scans, unknown menu keys: nothing to say
        if redis_up and not self.limiter.allow(msg.openid):
            return Reply(channel_text("rate_limited"))
        return Inbound(CHANNEL, msg.openid, item.trigger, {"menu": msg.event_key}, transcript=f"[菜单] {item.name}")

    # -- the 5-second rule ------------------------------------------------------------------
    def _to_bot(self, key: str, inbound: Inbound) -> str | None:
        answer: Future[str | None] = Future()
        self.pool.submit(self._run, key, inbound, answer)
        try:
            return answer.result(timeout=self.budget)
        except FutureTimeout:
            found = self.ledger.settle_async(key, inbound.sender_id)
            return None if found == PENDING else passive_text(found)

    def _run(self, key: str, inbound: Inbound, answer: Future[str | None]) -> None:
        """The bot's turn, in a worker thread: ``answer`` gets the passive reply (None: none) as
        soon as it is known; the transcript lines the router has left are written after it."""
        try:
            turn = self.router.answer(inbound, timeout=RASA_TIMEOUT)
        except Exception:
            log.exception("routing failed", extra={"channel": CHANNEL})
            turn = Answer([BotMessage(text=channel_text("failure"))])
        try:
            answer.set_result(self._settle(key, inbound, turn.replies))
        except Exception:  # the reply could not be queued: it stays owed (wechat.owed_replies)
            log.exception("slow reply could not be queued", extra={"channel": CHANNEL})
            answer.set_result(None)
            self.ledger.release(key)
            return
        self.ledger.release(key, paid_to=inbound.sender_id)
        try:
            turn.record()
        except Exception:  # the resident has the answer; Rasa's tracker keeps the turn
            log.exception("bot turn answered but not recorded in the transcript", extra={"channel": CHANNEL})
            metrics.UNRECORDED.labels(CHANNEL).inc()  # after the log: whoever sees the count finds the line

    def _settle(self, key: str, inbound: Inbound, replies: list[BotMessage]) -> str | None:
        """Settle the ledger with the bot's turn; deliver it asynchronously when the passive reply is gone."""
        texts = wechat_text.render_turn(replies)
        self.choices.remember(inbound.sender_id, wechat_text.last_buttons(replies))
        if len(texts) <= 1:
            found = self.ledger.settle(key, DONE + (texts[0] if texts else ""))
            if found == PENDING or not texts:
                return texts[0] if texts and found == PENDING else None
        else:
            self.ledger.settle_async(key, inbound.sender_id)
        self.outbound.deliver(inbound.sender_id, replies, reason="slow_reply")
        return None

    def _answer_retry(self, key: str, openid: str) -> str | None:
        """A retry or a duplicate: never processed again; the first delivery's answer, or ``success``
        (the answer follows through the customer-service API). If the process that took the
        first delivery died with it, the resident is asked to send it again."""
        state = PENDING if self.ledger.orphaned(key) else self.ledger.wait_settled(key, self.budget)
        if state == PENDING:
            orphaned = self.ledger.orphaned(key)
            found = (
                self.ledger.settle(key, DONE + channel_text("interrupted"))
                if orphaned
                else self.ledger.settle_async(key, openid)
            )
            if found == PENDING:
                log.warning(
                    "wechat message orphaned by a dead process" if orphaned else "wechat retry answered success",
                    extra={"key": key},
                )
                return channel_text("interrupted") if orphaned else None
            state = found
        return passive_text(state)
