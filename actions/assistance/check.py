"""The eligibility pre-check: a few plain questions, then the estimate with its reasons."""
from __future__ import annotations

from typing import Any, Callable

from actions import events, services
from actions.assistance import parsing, registry
from actions.assistance.flow import CHECK_SLOTS, Reader, entity, reset, validate
from actions.dispatcher import Dispatcher
from actions.executor import action
from actions.tracker import Tracker
from common.backoffice_client import BackofficeError, BackofficeUnavailable

HEADLINES = {"likely_eligible": "utter_assistance_likely_eligible", "likely_not": "utter_assistance_likely_not",
             "needs_assessment": "utter_assistance_needs_assessment"}
MAX_HOUSEHOLD = 20

Read = Callable[[Tracker], Any]


def _district(t: Tracker) -> str | None:
    return registry.district_in(f"{entity(t, 'district') or ''} {t.latest_text}")


def _household(t: Tracker) -> int | None:
    value = parsing.count(t.latest_text, entity(t, "person_count"))
    return value if value and 1 <= value <= MAX_HOUSEHOLD else None


READS: dict[str, tuple[Read, str]] = {
    "district": (_district, "utter_assistance_unknown_district"),
    "assistance_household_size": (_household, "utter_assistance_not_understood_number"),
    "assistance_monthly_income": (lambda t: parsing.amount(t.latest_text, t.entity_values("amount")), "utter_assistance_not_understood_number"),
    "assistance_savings": (lambda t: parsing.amount(t.latest_text, t.entity_values("amount")), "utter_assistance_not_understood_number"),
    "assistance_vehicles": (lambda t: parsing.vehicles(t.latest_text), "utter_assistance_not_understood_yes_no"),
    "assistance_circumstances": (lambda t: parsing.circumstances(t.latest_text), "utter_assistance_not_understood_circumstances"),
}


def _reader(slot: str) -> Reader:
    read, unclear = READS[slot]

    def reader(dispatcher: Dispatcher, tracker: Tracker) -> list[dict]:
        value = read(tracker)
        if value is None:
            dispatcher.utter(response=unclear)
            return [events.slot_set(slot, None)]
        out = [events.slot_set(slot, value)]
        if slot == "assistance_circumstances" and "serious_illness" in value:
            out.append(events.slot_set("assistance_medical_expenses", parsing.largest_number(tracker.latest_text)))
        return out

    return reader


READERS: dict[str, Reader] = {slot: _reader(slot) for slot in READS}


@action("validate_assistance_check_form")
def validate_check(dispatcher: Dispatcher, tracker: Tracker, _domain: dict[str, Any]) -> list[dict]:
    return validate(dispatcher, tracker, CHECK_SLOTS, READERS)


@action("action_assistance_precheck")
def precheck(dispatcher: Dispatcher, tracker: Tracker, _domain: dict[str, Any]) -> list[dict]:
    """Ask the back-office to apply the district's standard and explain its answer."""
    slots = tracker.slots
    if any(slots.get(name) is None for name in CHECK_SLOTS[:-1]) or not slots.get("district"):
        return reset(CHECK_SLOTS)  # the form was stopped before it was complete
    body = {"district": slots["district"], "household_size": int(slots["assistance_household_size"]),
            "monthly_income": int(slots["assistance_monthly_income"]), "savings": int(slots["assistance_savings"]),
            "vehicles": int(slots["assistance_vehicles"]), "circumstances": list(slots["assistance_circumstances"]),
            "medical_expenses_month": int(slots.get("assistance_medical_expenses") or 0)}
    try:
        verdict = services.backoffice().post("/assistance/precheck", body)
    except BackofficeUnavailable:
        dispatcher.utter(response="utter_backoffice_down")
        return []
    except BackofficeError as exc:
        dispatcher.utter(exc.message)
        return reset(CHECK_SLOTS)
    reasons = "\n".join(f"· {r['text']}（依据：{r['rule']}；{r['figure']}）" for r in verdict["reasons"])
    programs = "、".join(verdict["programs"]) or "低保"
    dispatcher.utter(response=HEADLINES[verdict["outcome"]], programs=programs, reasons=reasons, caveat=verdict["caveat"])
    return reset(CHECK_SLOTS)
