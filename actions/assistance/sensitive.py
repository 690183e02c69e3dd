"""A sensitive story inside an assistance conversation: answered with care and the number
to call, then handed to a person, urgently (recognition and texts: common/sensitive.py)."""

from __future__ import annotations

from actions.dispatcher import Dispatcher
from actions.handoff import request_handoff
from common.sensitive import recognise


def respond(dispatcher: Dispatcher, text: str) -> bool:
    """If ``text`` tells a sensitive story, answer with care and ask for an urgent handoff."""
    story = recognise(text)
    if story is None:
        return False
    request_handoff(dispatcher, "sensitive", "urgent", text=story.reply)
    return True
