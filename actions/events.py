"""Builders for the Rasa events an action may return."""

from __future__ import annotations

import time
from typing import Any


def _event(event_type: str, /, **fields: Any) -> dict[str, Any]:
    return {"event": event_type, "timestamp": time.time(), **fields}


def slot_set(key: str, value: Any) -> dict[str, Any]:
    return _event("slot", name=key, value=value)


def active_loop(name: str | None) -> dict[str, Any]:
    return _event("active_loop", name=name)


def followup(action_name: str) -> dict[str, Any]:
    return _event("followup", name=action_name)


def rewind() -> dict[str, Any]:
    """Forget the resident's latest message (Rasa's UserUtteranceReverted), as Rasa's own fallback does."""
    return _event("rewind")
