"""Sending queued WeChat messages (runs in a Celery worker) and recording each result.

Messages of one call go out one after another, in id order. A row that is no longer
``queued`` is skipped: each attempt first claims its row (``queued`` → ``sending`` in one
conditional UPDATE), so two tasks holding the same row — a redelivered one, or the sweep's
for a message it thought lost (``web/outbound/sweep.py``) — never both send it. A row a
dead worker left ``sending`` is the sweep's to queue again.
When the 48-hour window is closed (45015) or a quota is hit, the rest of the turn is
not attempted; a given fallback template is sent instead of the first closed message, and an
agent's messages refused so become call-back tasks shown in the console (``refused``: web/handoff/undelivered.py).
Every customer-service message WeChat takes or refuses updates the resident's window and quota
(web/outbound/cs_window.py).

Only a message that surely did not reach WeChat goes back to ``queued`` for the task to retry
(``Transient``). One that may have reached it (``InDoubt``: a read timeout, a dropped connection)
becomes ``in_doubt`` and is never sent again by the platform: the agent console shows it on the
resident's conversation, and a person decides (web/outbound/doubt.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import suppress
from datetime import datetime, timezone
from typing import Any

import redis
from sqlalchemy import func, update
from sqlalchemy.orm import sessionmaker

from web.outbound import cs_window
from web.outbound.models import IN_DOUBT, OutboundMessage
from web.wechat_api import InDoubt, RateLimited, Transient, WechatApi, WechatApiError, WindowClosed

log = logging.getLogger(__name__)


class WechatSender:
    def __init__(
        self,
        sessions: sessionmaker,
        api: WechatApi,
        receipts: EarlyReceipts | None = None,
        windows: redis.Redis | None = None,
        refused: Callable[[list[int]], None] | None = None,
    ) -> None:
        self.sessions, self.api, self.receipts = sessions, api, receipts
        self.windows = windows  # each customer-service message's count (web/outbound/cs_window.py)
        self.refused = refused  # takes the ids of messages WeChat refused (web/handoff/undelivered.CallBacks)

    def send_texts(self, ids: list[int], fallback: dict[str, Any] | None = None) -> list[int]:
        """Send the queued texts; returns the ids still queued after a transient failure (to retry)."""
        for position, row_id in enumerate(ids):
            with self.sessions() as sess:
                row = sess.get(OutboundMessage, row_id)
                if row is None or row.status != "queued":
                    continue
                openid, content = row.recipient, str(row.body.get("content", ""))
            if not self._claim(row_id):
                continue
            try:
                self.api.send_text(openid, content)
            except Transient as exc:
                self._result(row_id, "queued", exc)
                return ids[position:]
            except InDoubt as exc:  # the rest of the turn still goes: each message is its own call
                self._result(row_id, IN_DOUBT, exc)
                self._counted(openid, None)  # WeChat may have taken (and counted) it
                continue
            except WindowClosed as exc:
                self._counted(openid, exc)
                self._result(row_id, "window_closed", exc)
                self._skip(ids[position + 1 :], "window_closed", exc)
                self._keep(ids[position:])
                if fallback:
                    self._fallback(row_id, openid, fallback)
                return []
            except RateLimited as exc:
                self._counted(openid, exc)
                self._result(row_id, "rate_limited", exc)
                self._skip(ids[position + 1 :], "rate_limited", exc)
                self._keep(ids[position:])
                return []
            except WechatApiError as exc:
                self._result(row_id, "failed", exc)
                continue
            self._counted(openid, None)
            self._result(row_id, "sent", None)
        return []

    def _keep(self, ids: list[int]) -> None:
        """The agents' messages WeChat refused become call-back tasks the console shows at once."""
        if self.refused is not None:
            self.refused(ids)

    def _counted(self, openid: str, refused: WechatApiError | None) -> None:
        """The resident's customer-service record: one message fewer, or WeChat's refusal (45015 /
        45047) taken as the truth. Recorded before the row's result: the console may count a message
        twice for a moment (spent and still ``sending``), never not at all."""
        if self.windows is None:
            return
        try:
            if refused is None:
                cs_window.record_sent(self.windows, openid, datetime.now(timezone.utc))
            else:
                cs_window.record_refused(self.windows, openid, refused.errcode)
        except redis.RedisError:
            log.warning("customer-service quota not recorded, redis unavailable")

    def send_template(self, row_id: int) -> bool:
        """Send one queued template message; False when it should be retried later."""
        with self.sessions() as sess:
            row = sess.get(OutboundMessage, row_id)
            if row is None or row.status != "queued":
                return True
            openid, body = row.recipient, dict(row.body)
        if not self._claim(row_id):
            return True
        try:
            msgid = self.api.send_template(openid, body["template_id"], body.get("data") or {}, body.get("url"))
        except Transient as exc:
            self._result(row_id, "queued", exc)
            return False
        except InDoubt as exc:
            self._result(row_id, IN_DOUBT, exc)
            return True
        except RateLimited as exc:
            self._result(row_id, "rate_limited", exc)
            return True
        except WechatApiError as exc:
            self._result(row_id, "failed", exc)
            return True
        self._result(row_id, "sent", None, msgid=msgid)
        early = self.receipts.pop(msgid) if self.receipts else None
        if early:  # the receipt overtook our own bookkeeping
            record_receipt(self.sessions, msgid, early)
        return True

    def give_up(self, ids: list[int]) -> None:
        """WeChat stayed busy or unreachable through every retry: the messages failed."""
        with self.sessions.begin() as sess:
            sess.execute(
                update(OutboundMessage)
                .where(OutboundMessage.id.in_(ids), OutboundMessage.status == "queued")
                .values(status="failed")
            )
        log.warning("wechat messages given up", extra={"outbound_ids": ids})

    def _fallback(self, replaced: int, openid: str, template: dict[str, Any]) -> None:
        with self.sessions.begin() as sess:
            original = sess.get(OutboundMessage, replaced)
            row = OutboundMessage(
                channel="wechat",
                recipient=openid,
                kind="template",
                reason=original.reason,
                ref=original.ref,
                body=template,
                status="queued",
                fallback_for=replaced,
            )
            sess.add(row)
            sess.flush()
            row_id = row.id
        self.send_template(row_id)

    def _claim(self, row_id: int) -> bool:
        """This attempt is the row's: it was still queued, and is ``sending`` now."""
        with self.sessions.begin() as sess:
            return bool(
                sess.execute(
                    update(OutboundMessage)
                    .where(OutboundMessage.id == row_id, OutboundMessage.status == "queued")
                    .values(status="sending", attempts=OutboundMessage.attempts + 1, last_attempt_at=func.now())
                ).rowcount
            )

    def _result(self, row_id: int, status: str, exc: WechatApiError | None, msgid: int | None = None) -> None:
        with self.sessions.begin() as sess:
            row = sess.get(OutboundMessage, row_id)
            row.status = status
            row.errcode, row.errmsg = (exc.errcode, exc.errmsg[:200]) if exc else (0, "ok")
            if status == "sent":
                row.sent_at = datetime.now()
                row.wechat_msgid = msgid
        if exc:
            log.warning(
                "wechat message not sent", extra={"outbound_id": row_id, "status": status, "errcode": exc.errcode}
            )

    def _skip(self, ids: list[int], status: str, exc: WechatApiError) -> None:
        if not ids:
            return
        with self.sessions.begin() as sess:
            sess.execute(
                update(OutboundMessage)
                .where(OutboundMessage.id.in_(ids), OutboundMessage.status == "queued")
                .values(status=status, errcode=exc.errcode, errmsg="not attempted: " + exc.errmsg[:180])
            )


class EarlyReceipts:
    """Receipts that arrived before the sending task stored the msgid (kept an hour in Redis)."""

    def __init__(self, client: redis.Redis) -> None:
        self.redis = client

    def keep(self, msgid: int, status: str) -> None:
        self.redis.set(f"wechat:receipt:{msgid}", status, ex=3600)

    def pop(self, msgid: int) -> str | None:
        raw = self.redis.getdel(f"wechat:receipt:{msgid}")
        return raw.decode("utf-8") if raw else None


def record_receipt(sessions: sessionmaker, msgid: int, status: str, early: EarlyReceipts | None = None) -> bool:
    """TEMPLATESENDJOBFINISH: the delivery receipt of a template message, by WeChat's msgid.

    With ``early``, the receipt is kept in Redis *before* the row is looked for, and dropped
    once it was found: a sender committing the msgid in between finds it when it looks after
    its commit. (Kept only after a miss, it could land just after the sender had looked.)"""
    if early is not None:
        try:
            early.keep(msgid, status)
        except redis.RedisError:  # the row may still be there; if not, this receipt is lost, logged
            log.warning("early receipt not kept, redis unavailable", extra={"msgid": msgid})
            early = None
    with sessions.begin() as sess:
        result = sess.execute(
            update(OutboundMessage)
            .where(OutboundMessage.wechat_msgid == msgid)
            .values(receipt_status=status[:40], receipt_at=datetime.now())
        )
        matched = bool(result.rowcount)
    if matched and early is not None:
        with suppress(redis.RedisError):  # left, it expires; a sender finding it records it again, alike
            early.pop(msgid)
    return matched
