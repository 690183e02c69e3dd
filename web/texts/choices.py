"""Rasa buttons in a text-only channel: numbered choices, and a resident's number mapped back.

WeChat text messages cannot carry buttons, so a bot turn's buttons are shown as
"1. 标题" lines (URL buttons become links) and the payloads of the last turn that had
buttons are kept in Redis per conversation: a reply of just "2" (or "２", "二", "第2个")
is sent to Rasa as the second button's payload.

Those payloads (``/intent{...}``) are the only intent syntax a WeChat resident can send:
text they type that starts with "/" goes to Rasa with a full-width "／" instead
(:func:`as_words`), so the NLU reads it as words rather than an intent with entities of
the resident's choosing. Menus, locations and campaign replies are built by the server.

The web chat (Rasa's REST-channel format) sends a tapped button's payload as the message,
as Rasa's widgets do, so intent syntax passes there (:func:`as_sent_from_web`), except the
intents only the platform may send (``PLATFORM_INTENTS``): those are read as words too.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Sequence

import redis

from web.rasa_client import Button

TTL = 24 * 3600
_CHINESE = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
# "就第一个吧", "那就2吧", "第一个，很好": a choice with the words said around it (a Chinese number with 个 after a
# lead-in and no 第, "我选一个", is "one of them", no choice); "最后一个" is the last.
_LEAD = r"(?P<lead>(?:那|就|我|要|选|还是|用)*)"
_TAIL = r"(?:吧|啊|呀|哦|了|的|就行|就好|好了|可以)*\s*[.。、!！]?(?:\s*[，,、 ]\s*(?:很好|挺好|好的|好|可以|行|满意|不错|谢谢)[.。!！]?)?"
_NUMBER = re.compile(
    rf"^{_LEAD}\s*(?P<nth>第)?\s*(?P<n>[0-9０-９]{{1,2}}|[一二两三四五六七八九十])\s*(?P<unit>个|项|条|号)?\s*{_TAIL}$"
)
_LAST = re.compile(rf"^{_LEAD}\s*最后(?:一|那)?(?:个|项|条)?\s*{_TAIL}$")
LAST = -1  # parse_number's answer for "最后一个"


# Intents only the platform sends Rasa: the rating a finished task or a handback asks for
# (web/handoff/handback.start). A resident who could send
# them would rate tasks that never happened.
PLATFORM_INTENTS = frozenset({"feedback_request"})
_INTENT_SYNTAX = re.compile(r"^/([^{@]+)")  # the intent name, as Rasa's regex message handler reads it


def as_words(text: str) -> str:
    """Typed text as the NLU should read it: never as Rasa's ``/intent{...}`` syntax."""
    return "／" + text[1:] if text.startswith("/") else text


def as_sent_from_web(text: str) -> str:
    """A web chat message as Rasa should get it: a button payload as it is, but never an
    intent only the platform may send (that is read as words)."""
    match = _INTENT_SYNTAX.match(text.strip())
    return as_words(text.strip()) if match and match.group(1).strip() in PLATFORM_INTENTS else text


def is_link(button: Button) -> bool:
    return button.payload.startswith(("https://", "http://"))


def render(buttons: Sequence[Button]) -> list[str]:
    """Lines for the buttons: numbered choices for payloads, ``<a>`` links for URLs."""
    lines, number = [], 0
    for button in buttons:
        if is_link(button):
            lines.append(f'<a href="{html.escape(button.payload)}">{html.escape(button.title)}</a>')
        else:
            number += 1
            lines.append(f"{number}. {button.title}")
    return lines


def parse_number(text: str) -> int | None:
    """The choice a reply picks, counted from 1 (``LAST`` for the last one), or None when it picks none."""
    text = text.strip()
    if _LAST.match(text):
        return LAST
    match = _NUMBER.match(text)
    if not match:
        return None
    token = match.group("n")
    if token in _CHINESE and match.group("lead") and not match.group("nth") and match.group("unit") == "个":
        return None
    return _CHINESE[token] if token in _CHINESE else int(token)


class Choices:
    """The numbered choices last offered in each conversation."""

    def __init__(self, client: redis.Redis) -> None:
        self.redis = client

    @staticmethod
    def _key(sender_id: str) -> str:
        return f"choices:{sender_id}"

    def remember(self, sender_id: str, buttons: Sequence[Button]) -> None:
        payloads = [b.payload for b in buttons if not is_link(b)]
        if payloads:
            self.redis.set(self._key(sender_id), json.dumps(payloads), ex=TTL)
        else:
            self.redis.delete(self._key(sender_id))

    def resolve(self, sender_id: str, text: str) -> str | None:
        """The payload a bare number picks, or None when the text is not a choice."""
        number = parse_number(text)
        if number is None:
            return None
        raw = self.redis.get(self._key(sender_id))
        payloads = json.loads(raw) if raw else []
        if number == LAST:
            return payloads[-1] if payloads else None
        return payloads[number - 1] if 1 <= number <= len(payloads) else None
