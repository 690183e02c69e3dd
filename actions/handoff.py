"""Asking for a human agent: a custom payload the web app turns into a queue entry."""

from __future__ import annotations

from typing import Any

from actions.dispatcher import Dispatcher
from actions.executor import action
from actions.tracker import Tracker

REASONS = {"human_handoff": "resident_request", "complain": "complaint", "nlu_fallback": "fallback"}
RESPONSES = {"fallback": "utter_handoff_fallback"}


def request_handoff(
    dispatcher: Dispatcher,
    reason: str,
    priority: str = "normal",
    text: str | None = None,
    response: str = "utter_handoff",
) -> None:
    """Queue the conversation for an agent. ``reason`` is a short code (resident_request,
    complaint, sensitive, fallback, backoffice_down …); ``priority`` is normal or urgent.
    The web app appends the place in the queue and the rough wait (or, outside working
    hours, asks for a message and a callback number) to this message's text."""
    payload = {"handoff": {"reason": reason, "priority": priority}}
    if text:
        dispatcher.utter(text, custom=payload)
    else:
        dispatcher.utter(response=response, custom=payload)


@action("action_handoff")
def handoff(dispatcher: Dispatcher, tracker: Tracker, _domain: dict[str, Any]) -> list[dict]:
    reason = REASONS.get(tracker.latest_intent or "", "resident_request")
    request_handoff(dispatcher, reason, response=RESPONSES.get(reason, "utter_handoff"))
    return []
