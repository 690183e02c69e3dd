"""Recognising a resident in danger, from what the message means, and what to tell them.

The one place this is decided (the web router asks it about every resident message before the
bot sees it, web/handoff/intake.py). :func:`assess` reads a message with the classifier
(common/danger/classifier.py: whether someone is in danger, what is happening, who is at risk),
and with the conversation's previous message when this one is too short to stand alone and adds
to it ("没动静了" after "我爷爷在洗澡 半个钟头了"; an answer such as "同意" never does). A short
list of unmistakable phrases (``floor`` in responses.yml) is a floor under the model, never the
main check.

Measured on a blind evaluation set (tests/danger/fresh8.yml): docs/handoff.md has the figures.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from common.danger.classifier import Reading, normalise, trained

RESPONSES_FILE = Path(__file__).with_name("responses.yml")
THRESHOLD = 0.32  # probability of danger from which a person takes over (cross-validated: docs/handoff.md)
SHORT = 8  # characters (without spaces and punctuation): a message this short is read with the one before it
TINY = 4  # characters: a message this short says too little for the model to read on its own
RISE = 0.1  # what a short message must add to the probability of the one before it to be danger in context
SURE, SURE_SHORT = 0.6, 0.9  # below this probability of its kind (救命: short), the reply does not guess the kind


@dataclass(frozen=True)
class Danger:
    kind: str  # suicidal, violence, fall_or_collapse, no_food_or_money, neglect, abandonment, rough_sleeping
    who: str  # self, elderly, child, other
    score: float  # the model's probability (1.0 for a floor phrase)
    reply: str  # what the resident is told at once

    @property
    def reason(self) -> str:
        """The handoff reason the desk records and the console shows (web/admin/labels.py)."""
        return f"danger:{self.kind}/{self.who}"

    @property
    def child_at_risk(self) -> bool:
        return self.who == "child"


@cache
def _responses() -> dict:
    return yaml.safe_load(RESPONSES_FILE.read_text(encoding="utf-8"))


def label(kind: str) -> str:
    """The kind in Chinese (暴力伤害), as staff read it."""
    found = _responses()["kinds"].get(kind)
    return found["label"] if found else kind


def who_label(who: str) -> str:
    return _responses()["who"].get(who, who)


def _reply(kind: str, who: str, sure: bool = True) -> str:
    texts = _responses()["kinds"][kind] if sure else _responses()["unsure"]
    chosen = texts.get("child") if who == "child" else None
    return " ".join((chosen or texts["text"]).split())


def _found(reading: Reading, short: bool) -> Danger:
    sure = reading.kind_sure >= (SURE_SHORT if short else SURE)
    return Danger(reading.kind, reading.who, reading.danger, _reply(reading.kind, reading.who, sure))


def _floor(compact: str) -> str | None:
    for phrase, kind in _responses()["floor"].items():
        if phrase in compact:
            return kind
    return None


def assess(text: str, previous: Callable[[], str | None] = lambda: None) -> Danger | None:
    """Whether ``text`` tells of a person in danger, and which kind; None for an ordinary message.
    ``previous`` gives the resident's message before it (asked only when ``text`` is short)."""
    model, compact = trained(), normalise(text)
    reading = model.read(text)
    floor = _floor(compact)
    if floor is not None:
        return Danger(floor, reading.who, 1.0, _reply(floor, reading.who))
    short = len(compact) <= SHORT
    if reading.danger >= THRESHOLD and _says_enough(compact):
        return _found(reading, short)
    before = previous() if short else None
    return _in_context(model.read(before).danger, model.read(before + "，" + text)) if before else None


def _says_enough(compact: str) -> bool:
    """Whether the model's reading of the message alone can be trusted. On one to four characters
    it is a lexicon, and an unreliable one (不, 对不起, 约不上 and 我选一个 read as danger): so a tiny
    message counts only when it holds one of the ``tiny_cues`` (救命, 想死, 他打我, 我好饿)."""
    return len(compact) > TINY or any(cue in compact for cue in _responses()["tiny_cues"])


def _in_context(before: float, together: Reading) -> Danger | None:
    """A short message is danger by what it adds to the message before it: the two read together
    reach the threshold, the one before did not on its own (had it, a person took over then), and
    the short one raises the probability by at least ``RISE`` ("没动静了" after "我爷爷在洗澡 半个钟头了").
    An answer to the bot's question (我自己, 同意, 没有) carries the story's probability, not more."""
    if before < THRESHOLD <= together.danger and together.danger - before >= RISE:
        return _found(together, False)
    return None
