"""Text that every store and every service downstream can take: no control characters, valid UTF-8.

A resident's message can carry characters no one typed: NUL and the other C0 control characters
(a broken keyboard app, a copy from a PDF, a probe), or half of a surrogate pair (JSON's
``"\\ud800"``). PostgreSQL refuses NUL in text and a lone surrogate cannot be encoded to UTF-8,
so either would fail an insert after Rasa had already run the turn. Channels decide at their edge
(a sender with such a character is refused: it names a conversation and must not be silently
changed), the routing point cleans every message it is given (``web.conversations.router.Inbound``),
and the transcript's columns clean what they store (``web.orm.PlainText``, ``PlainJSON``).
"""

from __future__ import annotations

import re
from typing import Any

KEPT = "\t\n\r"  # the control characters a message may well contain
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_ANY_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
REPLACEMENT = "\ufffd"


def plain(text: str) -> str:
    """``text`` without C0 control characters (but tab and line breaks), a lone surrogate as U+FFFD."""
    return _SURROGATE.sub(REPLACEMENT, _CONTROL.sub("", text))


def is_plain(text: str) -> bool:
    """Whether ``text`` needs no cleaning."""
    return not _CONTROL.search(text) and not _SURROGATE.search(text)


def is_name(text: str) -> bool:
    """Whether ``text`` may name something (a sender): no control character at all, tab and line
    breaks included, and valid UTF-8. What fails is refused, never changed."""
    return not _ANY_CONTROL.search(text) and not _SURROGATE.search(text)


def plain_data(value: Any) -> Any:
    """``value`` (JSON-like data) with every string in it, keys too, made :func:`plain`."""
    if isinstance(value, str):
        return plain(value)
    if isinstance(value, dict):
        return {plain_data(k): plain_data(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain_data(v) for v in value]
    return value
