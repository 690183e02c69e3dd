"""Reply to apply: a resident's answer to a campaign push starts the right conversation.

:func:`rewrite` is the routing point's rewrite hook (every channel's messages pass through it):
a message from a resident pushed to in the last ``WINDOW`` counts as a reply in the
campaign's funnel; the campaign's keyword (e.g. 申请) becomes the campaign's trigger
(e.g. ``/assistance_apply{"assistance_type": "临时救助"}``), so the bot starts the
application with what the campaign already knows; and 退订 / TD always becomes
``/policy_unsubscribe``, whatever the NLU would have made of two letters. The
transcript keeps what the resident actually wrote. A staff member's test-send binding
code (``绑定测试`` + six digits, web/policy/tester.py) is answered here and never reaches the bot.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, timedelta
from functools import partial

from sqlalchemy import select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from web.conversations.router import Handled, Inbound, Note
from web.policy import schedule, tester
from web.policy.models import PolicyCampaign, PolicyDelivery

WINDOW = timedelta(days=7)
UNSUBSCRIBE_WORDS = {"TD", "退订", "退订推送"}
_PUNCTUATION = re.compile(r"[\s，。！？、,.!?~～“”\"'：:；;]+")


def normalise(text: str) -> str:
    return _PUNCTUATION.sub("", text).upper()


def rewrite(conn: Connection, inbound: Inbound) -> tuple[Inbound, Note | None] | Handled:
    """The message as the bot should see it, and, for the first reply to a push, the note
    that counts it in the campaign's funnel; or, for a staff member's test-send binding code,
    the answer itself (``Handled``: the bot never sees it). The routing point's rewrite hook
    (``Router(rewrite=...)``): it only reads; the router writes the note with the
    resident's line."""
    said = normalise(inbound.transcript or inbound.text)
    if said in UNSUBSCRIBE_WORDS:
        return replace(inbound, text="/policy_unsubscribe", transcript=inbound.transcript or inbound.text), None
    if inbound.text.startswith("/"):
        return inbound, None  # a menu tap or a location is not a reply to a push
    binding = tester.binding(conn, inbound, said)
    if binding is not None:  # a staff member binding their own WeChat for test sends
        return binding
    now = schedule.now_local()
    row = conn.execute(
        select(
            PolicyDelivery.id,
            PolicyDelivery.replied_at,
            PolicyCampaign.id,
            PolicyCampaign.apply_payload,
            PolicyCampaign.apply_keyword,
        )
        .join(PolicyCampaign, PolicyCampaign.id == PolicyDelivery.campaign_id)
        .where(
            PolicyDelivery.openid == inbound.sender_id,
            PolicyDelivery.status == "sent",
            PolicyDelivery.sent_at >= now - WINDOW,
        )
        .order_by(PolicyDelivery.sent_at.desc())
        .limit(1)
    ).first()
    if row is None:
        return inbound, None
    delivery_id, replied_at, campaign_id, apply_payload, apply_keyword = row
    note = partial(_replied, delivery_id, now) if replied_at is None else None
    if apply_payload and said == normalise(apply_keyword):
        inbound = replace(
            inbound, text=apply_payload, transcript=inbound.text, metadata={**inbound.metadata, "campaign": campaign_id}
        )
    return inbound, note


def _replied(delivery_id: int, at: datetime, sess: Session) -> None:
    sess.execute(
        update(PolicyDelivery)
        .where(PolicyDelivery.id == delivery_id, PolicyDelivery.replied_at.is_(None))
        .values(replied_at=at)
    )
