"""Recognising sensitive stories (self-harm, violence, a child or an elderly person in
danger, sleeping rough) and the caring answer for each, from data (sensitive.yaml).

The web router checks every resident message with it before the bot sees it, so such
a story reaches a person at urgent priority whatever the NLU makes of it; the
assistance flow checks its form answers with it too.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

PHRASES_FILE = Path(__file__).with_name("sensitive.yaml")


@dataclass(frozen=True)
class Story:
    category: str
    reply: str  # what the resident is told: care, the number to call, that a person is coming


@cache
def _categories() -> dict[str, dict]:
    return yaml.safe_load(PHRASES_FILE.read_text(encoding="utf-8"))["categories"]


def recognise(text: str) -> Story | None:
    compact = "".join(text.split())
    for name, c in _categories().items():
        if any(p in compact for p in c["phrases"]):
            return Story(name, " ".join(c["text"].split()))
    return None
