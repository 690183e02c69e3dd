"""Push consent, kept in the platform's one consent record (``web.outbound.models.ResidentConsent``).

The WeChat ``unsubscribe`` event writes it in the channel (``web.outbound.consent``);
the bot's 退订 / TD (intent ``policy_unsubscribe``) and 有新政策告诉我 (``policy_subscribe``)
reach it here, as the custom payload ``{"consent": {"withdrawn": true|false}}`` that
``actions/policy.py`` emits and the router's side-effect registry hands to this module.
"""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from web.conversations.models import Conversation
from web.conversations.side_effects import handles
from web.outbound.models import ResidentConsent

log = logging.getLogger(__name__)


def withdraw(sess: Session, openid: str, reason: str = "退订") -> None:
    row = sess.get(ResidentConsent, openid) or ResidentConsent(openid=openid, subscribed=True)
    row.push_allowed, row.withdrawn_at, row.reason = False, datetime.now(), reason
    sess.add(row)


def opt_in(sess: Session, openid: str) -> None:
    row = sess.get(ResidentConsent, openid) or ResidentConsent(openid=openid, subscribed=True)
    row.push_allowed, row.withdrawn_at, row.reason = True, None, "opt_in"
    sess.add(row)


@handles("consent")
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
