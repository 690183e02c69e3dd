"""The ``identity`` side effect: a flow needs a verified resident, so the resident gets a link.

WeChat residents verify through the link's pages. The web chat's sender is chosen by the
page itself, so nothing can be bound to it: a web resident is asked to use the Official
Account (or the hotline) instead.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from web.conversations.models import Conversation
from web.identity.links import BindingLinks, VerifyRequest
from web.texts import text


def ask_to_verify(links: BindingLinks, sess: Session, conv: Conversation, request: dict[str, Any]) -> str:
    if conv.channel != "wechat":
        return text("identity_web_chat")
    url = links.for_request(
        VerifyRequest(conv.sender_id, str(request.get("resume") or ""), str(request.get("what") or ""))
    )
    return text("identity_link").format(url=url)
