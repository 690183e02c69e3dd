"""What the bot understood, read from Rasa's tracker: intents, filled slots, numbers it created."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from common.masking import mask_text

REFERENCE_SLOT = re.compile(r"(reference|appointment|booking|case|application|_number)$")
NOT_REFERENCES = frozenset({"id_number", "phone"})
REFERENCE_TEXT = re.compile(r"(预约号|受理号|申请号|编号|单号|案件号)[：:\s是为]*([A-Za-z0-9][A-Za-z0-9-]{3,})")


@dataclass(frozen=True)
class Understanding:
    intents: list[tuple[str, float]] = field(default_factory=list)  # latest last
    slots: dict[str, str] = field(default_factory=dict)  # ID numbers and phones masked
    references: list[tuple[str, str]] = field(default_factory=list)  # (where, number)
    active_loop: str | None = None
    paused: bool = False


def from_tracker(tracker: dict[str, Any]) -> Understanding:
    events = tracker.get("events") or []
    intents = [((e.get("parse_data") or {}).get("intent") or {}) for e in events if e.get("event") == "user"]
    slots = {
        name: value
        for name, value in (tracker.get("slots") or {}).items()
        if value not in (None, "", [], False) and name not in ("requested_slot", "session_started_metadata")
    }
    references = [
        (name, str(value))
        for name, value in slots.items()
        if REFERENCE_SLOT.search(name) and name not in NOT_REFERENCES
    ]
    for e in events:
        if e.get("event") == "bot":
            references += [(m.group(1), m.group(2)) for m in REFERENCE_TEXT.finditer(e.get("text") or "")]
    return Understanding(
        intents=[(i.get("name") or "?", float(i.get("confidence") or 0)) for i in intents if i][-6:],
        slots={name: mask_text(str(value)) for name, value in slots.items()},
        references=list({number: (where, number) for where, number in reversed(references)}.values())[::-1],
        active_loop=(tracker.get("active_loop") or {}).get("name"),
        paused=bool(tracker.get("paused")),
    )
