"""Side effects the bot asks for in a custom payload, applied by the web app.

An action puts ``{"custom": {"<key>": {...}}}`` in a bot message; the router hands
each known key to its handler and never shows that payload to the resident or
stores it in the transcript. Handlers register here by key (``handoff``, ``outbox`` …).
"""
from __future__ import annotations

import logging
from typing import Any, Callable

from sqlalchemy.orm import Session

from web.conversations.models import Conversation

log = logging.getLogger(__name__)

Handler = Callable[[Session, Conversation, dict[str, Any]], None]
_HANDLERS: dict[str, Handler] = {}


def handles(key: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        _HANDLERS[key] = fn
        return fn

    return register


def apply(sess: Session, conv: Conversation, custom: dict[str, Any]) -> dict[str, Any]:
    """Run the handlers for the keys present; return what is left for the resident's client."""
    rest: dict[str, Any] = {}
    for key, value in custom.items():
        handler = _HANDLERS.get(key)
        if handler is None:
            rest[key] = value
            continue
        handler(sess, conv, value if isinstance(value, dict) else {})
        log.info("bot side effect applied", extra={"effect": key, "conversation": conv.id})
    return rest


@handles("handoff")
def queue_for_agent(_sess: Session, conv: Conversation, request: dict[str, Any]) -> None:
    """The bot asks for a human: from now on the resident's messages go to the agent queue."""
    conv.state = "queued"
    conv.handoff_reason = str(request.get("reason", "resident_request"))[:40]
    conv.handoff_priority = "urgent" if request.get("priority") == "urgent" else "normal"
