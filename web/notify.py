"""Telling one resident something they asked to hear about, by the best channel WeChat allows now.

``Notifier.record(sess, recipient, notice, reason, ref)`` writes the message in the caller's
transaction and returns what to do after its commit (``Sent.dispatch()``), as ``Outbound.record`` /
``dispatch`` do, so a caller that marks something as told (the status-update reader:
web/status_updates/) writes the mark and the message together. The channel, in this order:

1. a web chat sender (``web:…``): the chat page's mailbox (web/outbound/mailbox.py);
2. WeChat, customer-service message, when the resident's window is open with messages left
   (``web.outbound.cs_window.allowance``: 48 hours and 5 messages after their last message);
   the template below goes with it as the fallback, should WeChat refuse it after all (45015);
3. WeChat, subscription notice (订阅通知, ``bizsend``), when the resident accepted the notice's
   template (``web.subscriptions.consent.opted_in``);
4. WeChat, template message (模板消息): allowed for a service the resident triggered (their own
   application, their own appointment), without ``first``/``remark``, each field at most 20
   characters without line breaks (docs/wechat.md, *Application status updates*).

Redis not answering means the window is unknown: the resident is told by 3 or 4, not by a
customer-service message that might spend a quota an agent needs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

import redis
from kombu.exceptions import OperationalError
from sqlalchemy.orm import Session

from web.outbound import Outbound, cs_window
from web.outbound.models import OutboundMessage
from web.outbound.service import WEB_PREFIX, Template
from web.rasa_client import BotMessage
from web.subscriptions import consent
from web.subscriptions.send import NotOptedIn, dispatch_notice, record_notice
from web.wechat_api.rules import notice_problems, template_problems

log = logging.getLogger(__name__)

WEB, CUSTOMER_SERVICE, NOTICE, TEMPLATE = "web", "cs", "notice", "template"


@dataclass(frozen=True)
class Notice:
    """One thing to tell, in each channel's shape: ``text`` (web chat, customer-service message), a
    subscription notice (``notice_key`` in web/subscriptions/templates.yml and its values) and a
    template message (its fields kept to WeChat's rules by whoever builds it). ``page``: the web page
    a tapped notice opens (a template message's is its ``url``)."""

    text: str
    notice_key: str
    notice_values: Mapping[str, str]
    template: Template
    page: str | None = None


@dataclass(frozen=True)
class Sent:
    channel: str
    outbound_ids: tuple[int, ...]
    dispatch: Callable[[], object]


class Notifier:
    def __init__(self, outbound: Outbound, client: redis.Redis) -> None:
        self.outbound, self.redis = outbound, client

    def record(self, sess: Session, recipient: str, notice: Notice, reason: str, ref: str, now: datetime) -> Sent:
        """Write the message for ``recipient`` in ``sess``'s transaction (``now``: naive UTC)."""
        if recipient.startswith(WEB_PREFIX):
            return self._text(sess, WEB, recipient, notice, reason, ref, fallback=None)
        if self._window_open(sess, recipient, now):
            return self._text(sess, CUSTOMER_SERVICE, recipient, notice, reason, ref, fallback=notice.template)
        if consent.opted_in(sess, recipient, notice.notice_key) and not notice_problems(notice.notice_values):
            try:
                row_id = record_notice(
                    sess, recipient, notice.notice_key, notice.notice_values, reason, ref, notice.page
                )
            except NotOptedIn:  # refused between the two reads
                pass
            else:
                return Sent(NOTICE, (row_id,), lambda: dispatch_notice(self.outbound, row_id))
        return self.record_template(sess, recipient, notice.template, reason, ref)

    def _window_open(self, sess: Session, openid: str, now: datetime) -> bool:
        try:
            return cs_window.allowance(self.redis, openid, now, cs_window.pending(sess, openid)).can_send
        except redis.RedisError:
            log.warning("customer-service window unknown, redis unavailable: a notice or template instead")
            return False

    def _text(
        self,
        sess: Session,
        channel: str,
        recipient: str,
        notice: Notice,
        reason: str,
        ref: str,
        fallback: Template | None,
    ) -> Sent:
        recorded = self.outbound.record(sess, recipient, [BotMessage(text=notice.text)], reason, fallback, ref)
        return Sent(channel, tuple(recorded.ids), lambda: self.outbound.dispatch(recorded))

    def record_template(
        self, sess: Session, openid: str, template: Template, reason: str, ref: str, replaces: int | None = None
    ) -> Sent:
        """A template message in the caller's transaction (``replaces``: the refused message it stands for)."""
        problems = template_problems(template.data)
        if problems:  # a bug in whoever built it: nothing WeChat would cut is sent
            raise ValueError("; ".join(problems))
        row = OutboundMessage(
            channel="wechat",
            recipient=openid,
            kind="template",
            reason=reason,
            ref=ref,
            body={"template_id": template.template_id, "data": dict(template.data), "url": template.url},
            status="queued",
            fallback_for=replaces,
        )
        sess.add(row)
        sess.flush()
        row_id = row.id
        return Sent(TEMPLATE, (row_id,), lambda: self._queue_template(row_id))

    def _queue_template(self, row_id: int) -> None:
        try:
            self.outbound.enqueue("wechat.send_template", [row_id])
        except (OperationalError, redis.RedisError):  # the row stays queued: the outbound sweep sends it
            log.warning("template task not queued, broker unavailable", extra={"outbound_id": row_id})
