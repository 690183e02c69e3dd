"""Sensitive stories (self-harm, violence, a child or an elderly person in danger, sleeping
rough): answered with care and the number to call, then handed to a person, urgently."""
from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

from actions.dispatcher import Dispatcher
from actions.handoff import request_handoff

PHRASES_FILE = Path(__file__).with_name("sensitive.yaml")


@cache
def _categories() -> dict[str, dict]:
    return yaml.safe_load(PHRASES_FILE.read_text(encoding="utf-8"))["categories"]


def category(text: str) -> str | None:
    compact = "".join(text.split())
    return next((name for name, c in _categories().items() if any(p in compact for p in c["phrases"])), None)


def respond(dispatcher: Dispatcher, text: str) -> bool:
    """If ``text`` tells a sensitive story, answer with care and ask for an urgent handoff."""
    found = category(text)
    if found is None:
        return False
    request_handoff(dispatcher, "sensitive", "urgent", text=_categories()[found]["text"])
    return True
