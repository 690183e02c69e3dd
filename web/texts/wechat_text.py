"""A bot turn as WeChat text messages: buttons as choices, packed and split at WeChat's limit.

WeChat takes at most 2048 bytes (UTF-8) of text in a passive reply and in a
customer-service text message, and since June 2023 allows only a few
customer-service messages per resident interaction (5 within 48 h after a message,
3 within a minute after a menu click or a subscription). So a turn's messages are
packed into as few texts as fit, in order, and a message longer than the limit is
split at a paragraph, line or sentence end.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from web.rasa_client import BotMessage
from web.texts import choices
from web.texts import text as channel_text

LIMIT_BYTES = 2048
SEPARATOR = "\n\n"
_BREAKS = re.compile(r"(?<=\n)|(?<=[。！？!?；;])")


def _size(text: str) -> int:
    return len(text.encode("utf-8"))


def message_text(message: BotMessage) -> str:
    """One bot message as WeChat text: its text, an image link, its buttons as choices."""
    parts = [message.text] if message.text else []
    if message.image:
        parts.append(f'<a href="{html.escape(message.image)}">点这里看图片</a>')
    if message.buttons:
        lines = choices.render(message.buttons)
        if any(not choices.is_link(b) for b in message.buttons):
            lines.append(channel_text("choose_hint"))
        parts.append("\n".join(lines))
    return "\n".join(parts)


def split(text: str, limit: int = LIMIT_BYTES) -> list[str]:
    """Pieces of at most ``limit`` bytes, cut after a line or sentence end where possible."""
    pieces: list[str] = []
    current = ""
    for segment in (s for s in _BREAKS.split(text) if s):
        while _size(segment) > limit:  # a single sentence longer than the limit: cut by characters
            cut = len(segment.encode("utf-8")[:limit].decode("utf-8", errors="ignore"))
            head, segment = segment[:cut], segment[cut:]
            if current:
                pieces.append(current)
                current = ""
            pieces.append(head)
        if _size(current + segment) > limit:
            pieces.append(current)
            current = segment
        else:
            current += segment
    if current:
        pieces.append(current)
    return [p.strip() for p in pieces if p.strip()]


def pack(texts: Sequence[str], limit: int = LIMIT_BYTES) -> list[str]:
    """Join consecutive texts while they fit in one message; split the ones that never fit."""
    out: list[str] = []
    for text in texts:
        for piece in split(text, limit) if _size(text) > limit else [text] if text.strip() else []:
            if out and _size(out[-1] + SEPARATOR + piece) <= limit:
                out[-1] = out[-1] + SEPARATOR + piece
            else:
                out.append(piece)
    return out


def render_turn(messages: Sequence[BotMessage]) -> list[str]:
    """The texts to send for a bot turn, in order, each within WeChat's limit."""
    return pack([message_text(m) for m in messages])


def last_buttons(messages: Sequence[BotMessage]) -> tuple:
    """The buttons of the turn's last message that has any (those are the choices on screen)."""
    for message in reversed(messages):
        if message.buttons:
            return message.buttons
    return ()
