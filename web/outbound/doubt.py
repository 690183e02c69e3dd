"""Messages that may or may not have reached the resident, for a person to decide about.

A message is *in doubt* when its request may have reached WeChat and no answer came back (a read
timeout, a connection dropped mid-call: ``web.wechat_api.InDoubt``), or its worker died mid-call
(web/outbound/sweep.py). WeChat has no idempotency key and no way to ask whether a message
arrived, so the platform never sends it again by itself — "maybe once" rather than "maybe
twice", as campaigns do (web/policy/delivery.py). The agent console lists a conversation's
messages in doubt beside its transcript; the agent asks the resident or sends it again by hand.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from web.outbound.models import IN_DOUBT, OutboundMessage

SHOWN = 20  # the most recent ones; older ones are long past deciding about


def for_resident(sess: Session, recipient: str) -> list[OutboundMessage]:
    """The resident's customer-service texts in doubt, newest first (campaign pushes are on the campaign's page)."""
    m = OutboundMessage
    return list(
        sess.scalars(
            select(m)
            .where(m.recipient == recipient, m.status == IN_DOUBT, m.kind == "text", m.reason != "campaign")
            .order_by(m.id.desc())
            .limit(SHOWN)
        )
    )
