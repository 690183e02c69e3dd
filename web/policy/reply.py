"""Reply to apply: a resident's answer to a campaign push starts the right conversation.

:func:`rewrite` is the routing point's rewrite hook (every channel's messages pass through it):
a message from a resident pushed to in the last ``WINDOW`` counts as a reply in the
campaign's funnel; the campaign's keyword (e.g. 申请) becomes the campaign's trigger
(e.g. ``/assistance_apply{"assistance_type": "临时救助"}``), so the bot starts the
application with what the campaign already knows; and 退订 / TD always becomes
``/policy_unsubscribe``, whatever the NLU would have made of two letters. The
transcript keeps what the resident actually wrote.
"""
from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from web.conversations.router import Inbound
from web.policy import schedule
from web.policy.models import PolicyCampaign, PolicyDelivery

WINDOW = timedelta(days=7)
UNSUBSCRIBE_WORDS = {"TD", "退订", "退订推送"}
_PUNCTUATION = re.compile(r"[\s，。！？、,.!?~～“”\"'：:；;]+")


def normalise(text: str) -> str:
    return _PUNCTUATION.sub("", text).upper()


def rewrite(sess: Session, inbound: Inbound) -> Inbound:
    """The message as the bot should see it; runs in the routing point's first transaction
    (``Router(rewrite=...)``), which also records a reply in the campaign's funnel."""
    said = normalise(inbound.transcript or inbound.text)
    if said in UNSUBSCRIBE_WORDS:
        return replace(inbound, text="/policy_unsubscribe", transcript=inbound.transcript or inbound.text)
    if inbound.text.startswith("/"):
        return inbound  # a menu tap or a location is not a reply to a push
    now = schedule.now_local()
    row = sess.execute(
        select(PolicyDelivery, PolicyCampaign).join(PolicyCampaign, PolicyCampaign.id == PolicyDelivery.campaign_id)
        .where(PolicyDelivery.openid == inbound.sender_id, PolicyDelivery.status == "sent",
               PolicyDelivery.sent_at >= now - WINDOW)
        .order_by(PolicyDelivery.sent_at.desc()).limit(1)).first()
    if row is None:
        return inbound
    delivery, campaign = row
    if delivery.replied_at is None:
        delivery.replied_at = now
    if campaign.apply_payload and said == normalise(campaign.apply_keyword):
        return replace(inbound, text=campaign.apply_payload, transcript=inbound.text,
                       metadata={**inbound.metadata, "campaign": campaign.id})
    return inbound
