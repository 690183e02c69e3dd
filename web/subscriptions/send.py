"""Sending a subscription notice (订阅通知) to a resident who accepted its template.

``send_notice(outbound, openid, template_key, values, reason)`` is the call for the other
features (application status updates, agents' replies that cannot go as customer-service
messages). Before anything is written it checks that the resident opted in (:class:`NotOptedIn`)
and that every value keeps its type's rule (:class:`web.wechat_api.RuleBroken`, with the problems
in Chinese: web/wechat_api/rules.py). Then, like every message outside a request, the notice is an
``outbound_message`` row (``kind = "notice"``) written before its Celery task
(``wechat.send_notice``) is queued; the outbound sweep queues it again if the broker lost it.
A caller whose own write must go with the notice uses ``record_notice`` in its transaction and
``dispatch_notice`` after the commit (as ``Outbound.record`` / ``dispatch``).

The worker's half, :class:`NoticeSender`, sends one row through ``/cgi-bin/message/subscribe/bizsend``
and records WeChat's answer; 43101 (the resident refused or turned it off since) also marks the
template rejected for that resident.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime

import redis
from kombu.exceptions import OperationalError
from sqlalchemy import func, update
from sqlalchemy.orm import Session, sessionmaker

from web.outbound import Outbound
from web.outbound.models import IN_DOUBT, OutboundMessage
from web.outbound.wechat_sender import EarlyReceipts, record_receipt
from web.subscriptions import consent, templates
from web.wechat_api import InDoubt, RateLimited, RuleBroken, Transient, WechatApi, WechatApiError
from web.wechat_api.errors import NOT_SUBSCRIBED
from web.wechat_api.rules import notice_problems

log = logging.getLogger(__name__)
TASK = "wechat.send_notice"
KIND = "notice"


class NotOptedIn(Exception):
    """The resident has not accepted this subscription template (or refused it since)."""


def record_notice(
    sess: Session,
    openid: str,
    template_key: str,
    values: Mapping[str, str],
    reason: str,
    ref: str | None = None,
    page: str | None = None,
) -> int:
    """Check and write one notice in the caller's transaction; returns its ``outbound_message`` id."""
    template = templates.get(template_key)
    problems = notice_problems(values)
    if problems:
        raise RuleBroken(problems)
    if not consent.accepted(sess, openid, template.template_id):
        raise NotOptedIn(template_key)
    row = OutboundMessage(
        channel="wechat",
        recipient=openid,
        kind=KIND,
        reason=reason,
        ref=ref,
        body={"template_id": template.template_id, "data": dict(values), "page": page},
        status="queued",
    )
    sess.add(row)
    sess.flush()
    return row.id


def dispatch_notice(outbound: Outbound, row_id: int) -> None:
    """Queue the committed notice's task; a broker that is down leaves it to the sweep."""
    try:
        outbound.enqueue(TASK, [row_id])
    except (OperationalError, redis.RedisError):
        log.warning(
            "notice task not queued, broker unavailable: the sweep sends it later", extra={"outbound_id": row_id}
        )


def send_notice(
    outbound: Outbound,
    openid: str,
    template_key: str,
    values: Mapping[str, str],
    reason: str,
    ref: str | None = None,
    page: str | None = None,
) -> int:
    """``record_notice`` in a transaction of its own, then ``dispatch_notice``."""
    with outbound.sessions.begin() as sess:
        row_id = record_notice(sess, openid, template_key, values, reason, ref, page)
    dispatch_notice(outbound, row_id)
    return row_id


class NoticeSender:
    """The worker's half: send one queued notice row and record the answer."""

    def __init__(self, sessions: sessionmaker, api: WechatApi, receipts: EarlyReceipts | None = None) -> None:
        self.sessions, self.api, self.receipts = sessions, api, receipts

    def send(self, row_id: int) -> bool:
        """False when WeChat was busy or unreachable (the task retries later)."""
        with self.sessions.begin() as sess:
            claimed = sess.execute(
                update(OutboundMessage)
                .where(OutboundMessage.id == row_id, OutboundMessage.status == "queued")
                .values(status="sending", attempts=OutboundMessage.attempts + 1, last_attempt_at=func.now())
            ).rowcount
            row = sess.get(OutboundMessage, row_id) if claimed else None
            if row is None:
                return True
            openid, body = row.recipient, dict(row.body)
        try:
            msgid = self.api.send_notice(openid, body["template_id"], body.get("data") or {}, body.get("page"))
        except Transient as exc:
            self._result(row_id, "queued", exc)
            return False
        except InDoubt as exc:
            self._result(row_id, IN_DOUBT, exc)
        except RateLimited as exc:
            self._result(row_id, "rate_limited", exc)
        except (RuleBroken, WechatApiError) as exc:
            self._result(row_id, "failed", exc)
            if exc.errcode == NOT_SUBSCRIBED:
                with self.sessions.begin() as sess:
                    consent.record(sess, openid, body["template_id"], "reject", "43101")
        else:
            self._result(row_id, "sent", None, msgid)
            early = self.receipts.pop(msgid) if self.receipts and msgid else None
            if early:  # the sent event overtook our own bookkeeping
                record_receipt(self.sessions, msgid, early)
        return True

    def give_up(self, row_id: int) -> None:
        with self.sessions.begin() as sess:
            sess.execute(
                update(OutboundMessage)
                .where(OutboundMessage.id == row_id, OutboundMessage.status == "queued")
                .values(status="failed")
            )

    def _result(self, row_id: int, status: str, exc: WechatApiError | None, msgid: int | None = None) -> None:
        with self.sessions.begin() as sess:
            row = sess.get(OutboundMessage, row_id)
            row.status = status
            row.errcode, row.errmsg = (exc.errcode, exc.errmsg[:200]) if exc else (0, "ok")
            if status == "sent":
                row.sent_at, row.wechat_msgid = datetime.now(), msgid
        if exc:
            log.warning("notice not sent", extra={"outbound_id": row_id, "status": status, "errcode": exc.errcode})
