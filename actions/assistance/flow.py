"""What the assistance actions share: slot names, ending a form, guarding every answer."""
from __future__ import annotations

from typing import Any, Callable

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
Reader = Callable[[Dispatcher, Tracker], list[dict[str, Any]]]  # reads one answer: the slot events, maybe a message
ASKS_FOR_A_PERSON = ("human_handoff", "complain")  # answers the NLU did not understand are not among them


def reset(slots: tuple[str, ...]) -> list[dict[str, Any]]:
    return [events.slot_set(name, None) for name in slots]


def end_form(slots: tuple[str, ...]) -> list[dict[str, Any]]:
    """Stop the active form now; the slots it collected are forgotten."""
    return reset(slots) + [events.slot_set("requested_slot", None), events.active_loop(None)]


def validate(dispatcher: Dispatcher, tracker: Tracker, slots: tuple[str, ...], readers: dict[str, Reader],
             free_text: frozenset[str] = frozenset(), started_by: str | None = None) -> list[dict[str, Any]]:
    """Read the answer to the question the form asked.

    A sensitive story ends the form and goes to a person. "stop" or asking for a person
    ends it too — unless the message reads as a clear answer to a structured question
    (the NLU can take 两口人 for a request for a person; a number is still a number).
    A resident who says again what started the form (``started_by``: "低保怎么申请" while
    being asked who it is for) is told it is under way, not that they were misunderstood,
    and the question comes again.
    """
    requested = tracker.get_slot("requested_slot")
    if requested not in readers:
        return []  # the form is just starting with slots the triage already filled
    if sensitive.respond(dispatcher, tracker.latest_text):
        return end_form(slots) + [events.slot_set(SENSITIVE_SLOT, True)]
    reply = Dispatcher()
    result = readers[requested](reply, tracker)
    answered = any(e.get("name") == requested and e.get("value") is not None for e in result)
    if not answered or requested in free_text:
        if tracker.latest_intent == "stop":
            dispatcher.utter(response="utter_assistance_stopped")
            return end_form(slots)
        if tracker.latest_intent in ASKS_FOR_A_PERSON:
            request_handoff(dispatcher, REASONS.get(tracker.latest_intent, "resident_request"))
            return end_form(slots)
        if started_by is not None and tracker.latest_intent == started_by and requested not in free_text:
            dispatcher.utter(response="utter_assistance_under_way")
            return result
    dispatcher.messages.extend(reply.messages)
    return result


def entity(tracker: Tracker, name: str) -> Any:
    return next(iter(tracker.entity_values(name)), None)
