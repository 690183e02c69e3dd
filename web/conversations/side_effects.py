"""Side effects the bot asks for in a custom payload, applied by the web app.

An action puts ``{"custom": {"<key>": {...}}}`` in a bot message; the router hands
each known key to its handler and never shows that payload to the resident or
stores it in the transcript. Handlers register here by key (``handoff``, ``outbox`` …).
A handler may return a notice: text the web side knows and the bot does not (e.g.
the place in the queue), which the router appends to that bot message.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Callable

from sqlalchemy.orm import Session

from web.conversations.models import Conversation
from web.handoff import config as desk_config
from web.handoff import queue as handoff_queue

log = logging.getLogger(__name__)

Handler = Callable[[Session, Conversation, dict[str, Any]], str | None]
_HANDLERS: dict[str, Handler] = {}


@dataclass(frozen=True)
class Applied:
    custom: dict[str, Any]  # the keys no handler consumed: for the resident's client
    notices: tuple[str, ...] = field(default=())  # text to append to the bot message


def handles(key: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        _HANDLERS[key] = fn
        return fn

    return register


def apply(sess: Session, conv: Conversation, custom: dict[str, Any]) -> Applied:
    """Run the handlers for the keys present."""
    rest: dict[str, Any] = {}
    notices: list[str] = []
    for key, value in custom.items():
        handler = _HANDLERS.get(key)
        if handler is None:
            rest[key] = value
            continue
        notice = handler(sess, conv, value if isinstance(value, dict) else {})
        if notice:
            notices.append(notice)
        log.info("bot side effect applied", extra={"effect": key, "conversation": conv.id})
    return Applied(rest, tuple(notices))


def with_notices(text: str, notices: tuple[str, ...]) -> str:
    return "\n\n".join(part for part in (text, *notices) if part)


@handles("handoff")
def queue_for_agent(sess: Session, conv: Conversation, request: dict[str, Any]) -> str:
    """The bot asks for a human: the conversation joins the agent queue (later messages go
    there, not to Rasa) and the resident is told their place and rough wait, or, outside
    working hours, to leave a message and a callback number."""
    reason = str(request.get("reason") or "resident_request")
    priority = "urgent" if request.get("priority") == "urgent" else "normal"
    return handoff_queue.enqueue(sess, conv, reason, priority, desk_config.utcnow())
