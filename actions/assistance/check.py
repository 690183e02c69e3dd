"""The eligibility pre-check: a few plain questions, then the estimate with its reasons."""

from __future__ import annotations

import re
from typing import Any

from actions import services
from actions.assistance import parsing, registry, triage
from actions.assistance.apply import EARLY_ANSWER_LENGTH
from actions.assistance.flow import CHECK_SLOTS, AssistanceForm, entity
from actions.dispatcher import Dispatcher
from actions.executor import action
from actions.forms import AnotherWay, FormCall, reset
from actions.tracker import Tracker
from common.backoffice_client import BackofficeError, BackofficeUnavailable

HEADLINES = {
    "likely_eligible": "utter_assistance_likely_eligible",
    "likely_not": "utter_assistance_likely_not",
    "needs_assessment": "utter_assistance_needs_assessment",
}
MAX_HOUSEHOLD = 20
APPLYING = re.compile(r"申请|[帮替给]我?办|办一?下")  # 我自己申请, 帮我办: about the application, not a figure


def _district(t: Tracker) -> str | None:
    return registry.district_in(f"{entity(t, 'district') or ''} {t.latest_text}")


def _household(t: Tracker) -> int | None:
    text = parsing.without_other_figures(t.latest_text, "assistance_household_size")
    value = parsing.count(text, entity(t, "person_count")) or parsing.people(t.latest_text)
    return value if value and 1 <= value <= MAX_HOUSEHOLD else None


def _amount(t: Tracker, slot: str) -> int | None:
    text = parsing.without_other_figures(t.latest_text, slot)  # "一千五，存款一万" at the income question: 1500
    return parsing.amount(text, t.entity_values("amount") if text == t.latest_text else ())


def _read(call: FormCall, slot: str, value: Any, unclear: str) -> dict[str, Any]:
    if value is None:
        call.say(unclear)
    return {slot: value}


class CheckForm(AssistanceForm):
    """``validate_assistance_check_form``: district, household size, income, savings, vehicles, circumstances."""

    form = "assistance_check_form"
    slots = CHECK_SLOTS
    questions = ("district", *CHECK_SLOTS[:-1])  # the medical expenses come with the circumstances
    another_ways = {
        "district": AnotherWay("utter_assistance_district_another_way", choices="district_choices"),
        "assistance_household_size": AnotherWay("utter_assistance_household_size_another_way"),
        "assistance_monthly_income": AnotherWay("utter_assistance_amount_another_way"),
        "assistance_savings": AnotherWay("utter_assistance_amount_another_way"),
        "assistance_vehicles": AnotherWay("utter_assistance_vehicles_another_way"),
        "assistance_circumstances": AnotherWay("utter_assistance_circumstances_another_way"),
    }

    def interrupt(self, call: FormCall) -> list[dict] | None:
        """Asking to apply (申请救助), or saying who the application is for (我自己申请; 给我自己 where no figure is asked
        for), instead of answering: the application starts (triage.apply_instead)."""
        if not call.fresh or call.requested is None or self._answers(call):
            return None
        text = call.text
        who, _ = parsing.applicant_named(text)
        short = len(text) <= EARLY_ANSWER_LENGTH
        wants = (call.intent == "assistance_apply" and not parsing.asks_whether(text)) or (
            who is not None and (APPLYING.search(text) is not None or short)
        )
        return triage.apply_instead(call.dispatcher, call.tracker) if wants else None

    def _answers(self, call: FormCall) -> bool:
        """Whether the message answers the question asked, or gives a figure of the pre-check."""
        if parsing.figures_told(call.text):
            return True
        t = call.tracker
        read = {
            "district": lambda: _district(t),
            "assistance_household_size": lambda: _household(t),
            "assistance_monthly_income": lambda: _amount(t, "assistance_monthly_income"),
            "assistance_savings": lambda: _amount(t, "assistance_savings"),
            "assistance_vehicles": lambda: parsing.vehicles(t.latest_text),
            "assistance_circumstances": lambda: parsing.circumstances(t.latest_text),
        }.get(call.requested or "")
        return read is not None and read() is not None

    def after_extraction(self, call: FormCall) -> list[dict] | None:
        """The figures the message also gives before they are asked ("两口人，一个月一千五") are kept."""
        if call.fresh:
            for slot, value in parsing.figures_told(call.text).items():
                if slot != call.requested and call.get(slot) is None:
                    call.set(slot, value, announce=True)
                    call.extracted.add(slot)
        return super().after_extraction(call)

    def district_choices(self, call: FormCall) -> list[dict]:
        return [{"title": name, "payload": name} for _, name in registry.districts()]

    def extract_district(self, call: FormCall) -> dict:
        return _read(call, "district", _district(call.tracker), "utter_assistance_unknown_district")

    def extract_assistance_household_size(self, call: FormCall) -> dict:
        """The count; or the district said again (a resident back after stopping answers the first question they
        were asked before: "普陀区"), taken and said with the question, not "not a number"."""
        size = _household(call.tracker)
        if size is None and (district := _district(call.tracker)):
            call.notes["district_said"] = district
            return {"district": district, "assistance_household_size": None}
        return _read(call, "assistance_household_size", size, "utter_assistance_not_understood_number")

    def ask_assistance_household_size(self, call: FormCall) -> list[dict]:
        if district := call.notes.get("district_said"):
            return call.ask("assistance_household_size", "utter_assistance_ask_household_size_in", district=district)
        return call.ask("assistance_household_size", "utter_assistance_ask_household_size")

    def extract_assistance_monthly_income(self, call: FormCall) -> dict:
        return _read(
            call,
            "assistance_monthly_income",
            _amount(call.tracker, "assistance_monthly_income"),
            "utter_assistance_not_understood_number",
        )

    def extract_assistance_savings(self, call: FormCall) -> dict:
        return _read(
            call,
            "assistance_savings",
            _amount(call.tracker, "assistance_savings"),
            "utter_assistance_not_understood_number",
        )

    def extract_assistance_vehicles(self, call: FormCall) -> dict:
        return _read(
            call,
            "assistance_vehicles",
            parsing.vehicles(call.tracker.latest_text),
            "utter_assistance_not_understood_yes_no",
        )

    def extract_assistance_circumstances(self, call: FormCall) -> dict:
        text = call.tracker.latest_text
        found = _read(
            call,
            "assistance_circumstances",
            parsing.circumstances(text),
            "utter_assistance_not_understood_circumstances",
        )
        if found["assistance_circumstances"] and "serious_illness" in found["assistance_circumstances"]:
            found["assistance_medical_expenses"] = parsing.largest_number(text)
        return found


@action("action_assistance_precheck")
def precheck(dispatcher: Dispatcher, tracker: Tracker, _domain: dict[str, Any]) -> list[dict]:
    """Ask the back-office to apply the district's standard and explain its answer."""
    slots = tracker.slots
    if any(slots.get(name) is None for name in CHECK_SLOTS[:-1]) or not slots.get("district"):
        return reset(CHECK_SLOTS, requested=False)  # the form was stopped before it was complete
    body = {
        "district": slots["district"],
        "household_size": int(slots["assistance_household_size"]),
        "monthly_income": int(slots["assistance_monthly_income"]),
        "savings": int(slots["assistance_savings"]),
        "vehicles": int(slots["assistance_vehicles"]),
        "circumstances": list(slots["assistance_circumstances"]),
        "medical_expenses_month": int(slots.get("assistance_medical_expenses") or 0),
    }
    try:
        verdict = services.backoffice().post("/assistance/precheck", body)
    except BackofficeUnavailable:
        dispatcher.utter(response="utter_backoffice_down")
        return []
    except BackofficeError as exc:
        dispatcher.utter(exc.message)
        return reset(CHECK_SLOTS, requested=False)
    reasons = "\n".join(f"· {r['text']}（依据：{r['rule']}；{r['figure']}）" for r in verdict["reasons"])
    programs = "、".join(verdict["programs"]) or "低保"
    dispatcher.utter(
        response=HEADLINES[verdict["outcome"]], programs=programs, reasons=reasons, caveat=verdict["caveat"]
    )
    return reset(CHECK_SLOTS, requested=False)
