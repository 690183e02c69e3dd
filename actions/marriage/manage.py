"""The resident's own appointments: look up, cancel, reschedule.

"Own" is decided by the back-office from the conversation's sender id (the WeChat openid): the
appointments in which the resident it is bound to by a verified sign-in (实名绑定) is a party. The
actions never pass an ID number; an unverified sender is asked to verify (``not_bound``).
"""

from __future__ import annotations

import re
from typing import Any

from actions import identity, services
from actions.dispatcher import Dispatcher
from actions.events import active_loop, followup, slot_set
from actions.executor import action
from actions.forms import FormCall, FormValidation, confirmed_item, reset
from actions.handoff import request_handoff
from actions.marriage import common
from actions.marriage.booking import backoffice_down, kind_label
from actions.marriage.common import button
from actions.marriage.schedule import Where, ask_date, ask_slot, check_date, check_slot, day_of, read_answer
from actions.tracker import Tracker
from common.backoffice_client import BackofficeError, BackofficeUnavailable

CANCEL_FORM, RESCHEDULE_FORM = "marriage_cancel_form", "marriage_reschedule_form"
SLOTS = (
    "marriage_appointment",
    "marriage_date",
    "marriage_slot",
    "marriage_time_of_day",
    "marriage_confirmed",
)
READ_A_DAY = "read_a_day"  # call notes: the message gave a day or a time slot (so it is not a yes or a no)


def mine(tracker: Tracker) -> list[dict]:
    return services.backoffice().get("/marriage/appointments", openid=tracker.sender_id)["appointments"]


def describe(a: dict) -> str:
    kind = kind_label({"marriage_type": a["service"], "marriage_divorce_stage": a["stage"]})
    people = "、".join(p["name"] for p in a["parties"])
    return (
        f"预约号 {a['number']}：{kind}，{a['date_label']} {a['start']}-{a['end']}，"
        f"{a['office']['name']}（{a['office']['address']}），当事人 {people}"
    )


@action("action_marriage_my_bookings")
def my_bookings(dispatcher: Dispatcher, tracker: Tracker, _domain: dict[str, Any]) -> list[dict]:
    try:
        appointments = mine(tracker)
    except BackofficeUnavailable:
        dispatcher.utter(response="utter_backoffice_down")
        return []
    except BackofficeError as exc:
        if exc.code != identity.NOT_BOUND:
            raise
        common.ask_to_verify(dispatcher, "marriage_my_booking", "预约查询")
        return []
    if not appointments:
        dispatcher.utter(response="utter_marriage_no_appointments")
    else:
        dispatcher.utter(
            response="utter_marriage_my_appointments", listing="\n".join(describe(a) for a in appointments)
        )
    return []


class _ManageForm(FormValidation):
    """What cancelling and rescheduling share: which of the resident's own appointments, and a yes or no."""

    asks_itself = True
    own_actions = common.FORMS
    verb: str
    verb_words: str  # saying the errand's verb at "确定吗？" confirms it ("是的取消", "确定修改"), unless negated
    resume: tuple[str, str]  # the intent that carries on once the resident is verified, and the errand in words

    def interrupt(self, call: FormCall) -> list[dict] | None:
        """Only a verified resident's own appointments (the back-office answers ``not_bound`` to anyone else)."""
        try:
            mine(call.tracker)  # read once per run: every step after this one uses the same answer
        except BackofficeError as exc:
            if exc.code != identity.NOT_BOUND:
                raise
            common.ask_to_verify(call.dispatcher, *self.resume)
            return call.events + reset(SLOTS, end_form=True)
        return None

    def backoffice_down(self, call: FormCall, exc: BackofficeUnavailable) -> list[dict]:
        return backoffice_down(call)

    def picked(self, call: FormCall) -> dict | None:
        """The appointment being worked on: the one named, else the only one there is."""
        appointments = mine(call.tracker)
        found = next((a for a in appointments if a["number"] == call.get("marriage_appointment")), None)
        return found or (appointments[0] if len(appointments) == 1 else None)

    def extract_marriage_appointment(self, call: FormCall) -> None:
        if not call.get("marriage_appointment"):
            chosen = next((a["number"] for a in mine(call.tracker) if a["number"] in call.text.upper()), None)
            if chosen:
                call.set("marriage_appointment", chosen)

    def extract_marriage_confirmed(self, call: FormCall) -> None:
        if call.requested == "marriage_confirmed" and not call.notes.get(READ_A_DAY):
            said_verb = re.search(self.verb_words, call.text) and not re.search(r"不|别|没", call.text)  # "是的取消"
            if call.intent == "affirm" or common.YES.match(call.text) or said_verb:
                call.set("marriage_confirmed", True)
            elif call.intent in ("deny", "stop") or common.NO.match(call.text) or call.text.startswith("不"):
                call.set("marriage_confirmed", False)

    def validate_marriage_appointment(self, call: FormCall, value: str) -> dict:
        return {} if any(a["number"] == value for a in mine(call.tracker)) else {"marriage_appointment": None}

    def ask_marriage_appointment(self, call: FormCall) -> list[dict] | None:
        appointments = mine(call.tracker)
        if not appointments:
            call.say("utter_marriage_no_appointments")
            return call.events + reset(SLOTS) + [active_loop(None)]
        if len(appointments) == 1:
            call.set("marriage_appointment", appointments[0]["number"])
            return None
        return call.ask(
            "marriage_appointment",
            "utter_marriage_ask_which_appointment",
            buttons=[button(describe(a), a["number"]) for a in appointments],
            verb=self.verb,
        )


class CancelForm(_ManageForm):
    form = CANCEL_FORM
    verb = "取消"
    verb_words = r"取消"
    resume = ("marriage_cancel", "取消预约")

    def required_slots(self, call: FormCall) -> list[str]:
        return ["marriage_appointment", "marriage_confirmed"]

    def slots_to_extract(self, call: FormCall) -> list[str]:
        return ["marriage_appointment", "marriage_confirmed"]

    def slots_to_validate(self, call: FormCall) -> set[str]:
        return {"marriage_appointment"}  # still the resident's, still there

    def ask_marriage_confirmed(self, call: FormCall) -> list[dict]:
        return call.ask("marriage_confirmed", "utter_marriage_ask_cancel_confirm", listing=describe(self.picked(call)))


@action("action_marriage_cancel_submit")
def cancel_submit(dispatcher: Dispatcher, tracker: Tracker, _domain: dict[str, Any]) -> list[dict]:
    number = confirmed_item(
        dispatcher, tracker, "marriage_appointment", "marriage_confirmed", "utter_marriage_cancel_kept"
    )
    if number is None:
        return reset(SLOTS)
    key = common.idempotency_key(tracker, CANCEL_FORM, {"number": number})
    try:
        services.backoffice().post(
            f"/marriage/appointments/{number}/cancel", {"openid": tracker.sender_id}, idempotency_key=key
        )
    except BackofficeUnavailable:
        dispatcher.utter(response="utter_marriage_manage_down")
        request_handoff(dispatcher, "backoffice_down")
        return reset(SLOTS)
    except BackofficeError as exc:
        if exc.code == identity.NOT_BOUND:  # unbound since the form started
            common.ask_to_verify(dispatcher, "marriage_cancel", "取消预约")
        else:
            dispatcher.utter(response="utter_marriage_backoffice_refused", message=exc.message)
        return reset(SLOTS)
    dispatcher.utter(response="utter_marriage_cancelled", number=number)
    return reset(SLOTS)


class RescheduleForm(_ManageForm):
    form = RESCHEDULE_FORM
    verb = "改时间"
    verb_words = r"改|换"  # "确定修改", "就改这天"
    resume = ("marriage_reschedule", "改约")

    def required_slots(self, call: FormCall) -> list[str]:
        return ["marriage_appointment", "marriage_date", "marriage_slot", "marriage_confirmed"]

    def slots_to_extract(self, call: FormCall) -> list[str]:
        return ["marriage_appointment", "marriage_date", "marriage_confirmed"]

    def slots_to_validate(self, call: FormCall) -> set[str]:
        return {"marriage_appointment", "marriage_date", "marriage_slot"}  # a day can fill up between two messages

    def interrupt(self, call: FormCall) -> list[dict] | None:
        refused = super().interrupt(call)
        if refused is not None:
            return refused
        if call.fresh and call.intent == "stop" and (picked := self.picked(call)):
            call.set("marriage_appointment", picked["number"])
            return call.finish(call.requested, consumed=False)  # the stop rule ends the form
        return None

    def extract_marriage_date(self, call: FormCall) -> None:
        """The new day and time slot, once the appointment is known."""
        picked = self.picked(call)
        if picked and call.requested != "marriage_appointment":
            before = len(call.events)
            read_answer(call, where(picked))
            call.notes[READ_A_DAY] = len(call.events) > before

    def after_extraction(self, call: FormCall) -> list[dict] | None:
        if call.get("marriage_confirmed") is False and self.picked(call):
            return call.finish(None)  # keep the appointment as it is
        return None

    def validate_marriage_date(self, call: FormCall, value: str) -> dict:
        check_date(call, where(self.picked(call)))
        return {}

    def ask_marriage_date(self, call: FormCall) -> list[dict]:
        return ask_date(call, where(self.picked(call)))

    def validate_marriage_slot(self, call: FormCall, value: str) -> dict:
        check_slot(call, where(self.picked(call)))
        return {}

    def ask_marriage_slot(self, call: FormCall) -> list[dict] | None:
        return ask_slot(call, where(self.picked(call)))

    def ask_marriage_confirmed(self, call: FormCall) -> list[dict]:
        picked = self.picked(call)
        day = day_of(where(picked), call.get("marriage_date"))
        end = next(s["end"] for s in day["slots"] if s["start"] == call.get("marriage_slot"))
        return call.ask(
            "marriage_confirmed",
            "utter_marriage_ask_reschedule_confirm",
            number=picked["number"],
            day=day["label"],
            start=call.get("marriage_slot"),
            end=end,
            office_name=picked["office"]["name"],
        )


def where(appointment: dict) -> Where:
    """Where and when the appointment may move: a divorce certificate stays within the window the back-office gives."""
    window = appointment.get("certificate_window")
    if not window:
        return Where(appointment["office"])
    return Where(
        appointment["office"], window["first_date"], window["last_date"], window["first_label"], window["last_label"]
    )


@action("action_marriage_reschedule_submit")
def reschedule_submit(dispatcher: Dispatcher, tracker: Tracker, _domain: dict[str, Any]) -> list[dict]:
    number = confirmed_item(
        dispatcher, tracker, "marriage_appointment", "marriage_confirmed", "utter_marriage_reschedule_kept"
    )
    if number is None:
        return reset(SLOTS)
    body = {
        "openid": tracker.sender_id,
        "date": tracker.get_slot("marriage_date"),
        "start": tracker.get_slot("marriage_slot"),
    }
    key = common.idempotency_key(tracker, RESCHEDULE_FORM, {"number": number, **body})
    try:
        moved = services.backoffice().post(f"/marriage/appointments/{number}/reschedule", body, idempotency_key=key)
    except BackofficeUnavailable:
        dispatcher.utter(response="utter_marriage_manage_down")
        request_handoff(dispatcher, "backoffice_down")
        return reset(SLOTS)
    except BackofficeError as exc:
        if exc.code == identity.NOT_BOUND:  # unbound since the form started
            common.ask_to_verify(dispatcher, "marriage_reschedule", "改约")
            return reset(SLOTS)
        dispatcher.utter(response="utter_marriage_backoffice_refused", message=exc.message)
        if exc.code in ("slot_full", "office_closed", "cooling_off", "date_out_of_range"):
            return [slot_set(n, None) for n in ("marriage_date", "marriage_slot", "marriage_confirmed")] + [
                followup(RESCHEDULE_FORM)
            ]
        return reset(SLOTS)
    dispatcher.utter(
        response="utter_marriage_rescheduled",
        number=moved["number"],
        day=moved["date_label"],
        start=moved["start"],
        end=moved["end"],
        office_name=moved["office"]["name"],
        address=moved["office"]["address"],
    )
    return reset(SLOTS)
