"""A WeChat resident's subscription and push consent: the platform's one consent record
(``ResidentConsent``, read by the campaigns' audience).

Two ways in: the WeChat ``subscribe`` / ``unsubscribe`` events, which the channel records
(:func:`record_subscribe`, :func:`record_unsubscribe`); and the bot's 退订 / TD (intent
``policy_unsubscribe``) and 有新政策告诉我 (``policy_subscribe``), which ``actions/policy.py``
emits as the custom payload ``{"consent": {"withdrawn": true|false}}`` and the router's
side effects hand to :func:`consent_side_effect` (registered in web/services.py).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from web.conversations.models import Conversation
from web.outbound.models import ResidentConsent

log = logging.getLogger(__name__)


def record_subscribe(sess: Session, openid: str) -> None:
    row = sess.get(ResidentConsent, openid)
    if row is None:
        sess.add(ResidentConsent(openid=openid, subscribed=True, push_allowed=True, reason="subscribe"))
    else:
        row.subscribed = True  # a withdrawn push consent stays withdrawn until the resident opts in again


def record_unsubscribe(sess: Session, openid: str) -> None:
    row = sess.get(ResidentConsent, openid) or ResidentConsent(openid=openid)
    row.subscribed, row.push_allowed = False, False
    row.withdrawn_at, row.reason = datetime.now(), "unsubscribe"
    sess.add(row)


def withdraw(sess: Session, openid: str, reason: str = "退订") -> None:
    row = sess.get(ResidentConsent, openid) or ResidentConsent(openid=openid, subscribed=True)
    row.push_allowed, row.withdrawn_at, row.reason = False, datetime.now(), reason
    sess.add(row)


def opt_in(sess: Session, openid: str) -> None:
    row = sess.get(ResidentConsent, openid) or ResidentConsent(openid=openid, subscribed=True)
    row.push_allowed, row.withdrawn_at, row.reason = True, None, "opt_in"
    sess.add(row)


def consent_side_effect(sess: Session, conv: Conversation, request: dict[str, Any]) -> str | None:
    """The bot's 退订 / 订阅: only WeChat residents receive pushes, so only they have a consent row."""
    if conv.channel != "wechat" or not isinstance(request.get("withdrawn"), bool):
        return None
    if request["withdrawn"]:
        withdraw(sess, conv.sender_id)
    else:
        opt_in(sess, conv.sender_id)
    log.info("push consent changed by the resident", extra={"conversation": conv.id, "withdrawn": request["withdrawn"]})
    return None
