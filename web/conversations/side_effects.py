"""Side effects the bot asks for in a custom payload, applied by the web app.

An action puts ``{"custom": {"<key>": {...}}}`` in a bot message; the router hands
each key with a handler to it and never shows that payload to the resident or
stores it in the transcript. The handlers (``handoff``, ``outbox``, ``rating``,
``consent``) belong to the features that stand on conversations; the process gives
them to :class:`SideEffects` where it is wired (web/services.py), so this module knows
none of them. A handler may return a notice: text the web side knows and the bot does
not (e.g. the place in the queue), which is appended to that bot message.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy.orm import Session

from web.conversations.models import Conversation
from web.rasa_client import BotMessage

log = logging.getLogger(__name__)

Handler = Callable[[Session, Conversation, dict[str, Any]], str | None]


@dataclass(frozen=True)
class Applied:
    custom: dict[str, Any]  # the keys no handler consumed: for the resident's client
    notices: tuple[str, ...] = field(default=())  # text to append to the bot message


class SideEffects:
    """The handlers of a process, by custom payload key."""

    def __init__(self, handlers: Mapping[str, Handler]) -> None:
        self.handlers = dict(handlers)

    def apply(self, sess: Session, conv: Conversation, custom: dict[str, Any]) -> Applied:
        """Run the handlers for the keys present."""
        rest: dict[str, Any] = {}
        notices: list[str] = []
        for key, value in custom.items():
            handler = self.handlers.get(key)
            if handler is None:
                rest[key] = value
                continue
            notice = handler(sess, conv, value if isinstance(value, dict) else {})
            if notice:
                notices.append(notice)
            log.info("bot side effect applied", extra={"effect": key, "conversation": conv.id})
        return Applied(rest, tuple(notices))

    def applied_to(self, sess: Session, conv: Conversation, reply: BotMessage) -> BotMessage:
        """``reply`` once its side effects ran: their notices appended to its text, only the
        keys no handler consumed left in its ``custom``."""
        if not reply.custom:
            return reply
        applied = self.apply(sess, conv, reply.custom)
        return replace(reply, text=with_notices(reply.text, applied.notices), custom=applied.custom)


def with_notices(text: str, notices: tuple[str, ...]) -> str:
    return "\n\n".join(part for part in (text, *notices) if part)
