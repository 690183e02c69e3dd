"""What the assistance actions share: slot names, ending a form, guarding every answer."""
from __future__ import annotations

from typing import Any

from actions import events
from actions.assistance import sensitive
from actions.dispatcher import Dispatcher
from actions.handoff import REASONS, request_handoff
from actions.tracker import Tracker

CHECK_SLOTS = ("assistance_household_size", "assistance_monthly_income", "assistance_savings", "assistance_vehicles",
               "assistance_circumstances", "assistance_medical_expenses")
APPLY_SLOTS = ("assistance_type", "assistance_applicant", "assistance_relation", "assistance_id_number", "assistance_phone",
               "assistance_community", "assistance_hardship", "assistance_consent", "assistance_confirmed")
SENSITIVE_SLOT = "assistance_sensitive"
ASKS_FOR_A_PERSON = ("human_handoff", "complain")  # answers the NLU did not understand are not among them


def reset(slots: tuple[str, ...]) -> list[dict[str, Any]]:
    return [events.slot_set(name, None) for name in slots]


def end_form(slots: tuple[str, ...]) -> list[dict[str, Any]]:
    """Stop the active form now; the slots it collected are forgotten."""
    return reset(slots) + [events.slot_set("requested_slot", None), events.active_loop(None)]


def interrupt(dispatcher: Dispatcher, tracker: Tracker, slots: tuple[str, ...]) -> list[dict[str, Any]] | None:
    """A sensitive story, "stop" or a request for a person ends the form; otherwise ``None``."""
    if sensitive.respond(dispatcher, tracker.latest_text):
        return end_form(slots) + [events.slot_set(SENSITIVE_SLOT, True)]
    if tracker.latest_intent == "stop":
        dispatcher.utter(response="utter_assistance_stopped")
        return end_form(slots)
    if tracker.latest_intent in ASKS_FOR_A_PERSON:
        request_handoff(dispatcher, REASONS.get(tracker.latest_intent, "resident_request"))
        return end_form(slots)
    return None


def entity(tracker: Tracker, name: str) -> Any:
    return next(iter(tracker.entity_values(name)), None)
