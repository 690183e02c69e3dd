"""The ``identity`` side effect: a flow needs a verified resident, so the resident gets a link.

WeChat residents and the /chat page verify through the link's pages (the page's sender is the
server's, signed; web/channels/web_senders.py). A bare REST client names its own sender, so
nothing can be bound to it: that resident is sent to the /chat page, the Official Account or
the hotline instead.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from web.channels.web_senders import verifiable
from web.conversations.models import Conversation
from web.identity.links import BindingLinks, VerifyRequest
from web.texts import text


def ask_to_verify(links: BindingLinks, sess: Session, conv: Conversation, request: dict[str, Any]) -> str:
    if not verifiable(conv.channel, conv.sender_id):
        return text("identity_web_chat").format(chat=f"{links.base}/chat")
    url = links.for_request(
        VerifyRequest(conv.sender_id, str(request.get("resume") or ""), str(request.get("what") or ""))
    )
    return text("identity_link").format(url=url)
