"""The resident's own visit bookings and waiting-list places: look up, cancel, move; and stopping any cemetery form.

"Own" is decided by the back-office from the conversation's sender id (the resident it is bound to by a
verified sign-in); the actions never pass an ID number. An unverified sender is asked to verify (``not_bound``).
"""

from __future__ import annotations

import re
from typing import Any

from actions import identity, services
from actions.cemetery import booking, common
from actions.dispatcher import Dispatcher
from actions.events import active_loop, followup, slot_set
from actions.executor import action
from actions.forms import FormCall, FormValidation, confirmed_item, reset
from actions.handoff import request_handoff
from actions.marriage.common import NO, YES, button, date_in, idempotency_key
from actions.tracker import Tracker
from common.backoffice_client import BackofficeError, BackofficeUnavailable

CANCEL_FORM, RESCHEDULE_FORM = "cemetery_cancel_form", "cemetery_reschedule_form"
SLOTS = ("cemetery_booking", "cemetery_date", "cemetery_slot", "cemetery_confirmed")


def mine(tracker: Tracker) -> dict:
    return services.backoffice().get("/cemetery/bookings", openid=tracker.sender_id)


def listing(found: dict) -> list[tuple[str, str]]:
    """(number, line) for each booking and waiting-list place."""
    return [(b["number"], common.describe(b)) for b in found["bookings"]] + [
        (w["number"], common.describe_waiting(w)) for w in found["waiting"]
    ]


@action("action_cemetery_my_bookings")
def my_bookings(dispatcher: Dispatcher, tracker: Tracker, _domain: dict[str, Any]) -> list[dict]:
    try:
        found = mine(tracker)
    except BackofficeUnavailable:
        dispatcher.utter(response="utter_backoffice_down")
        return []
    except BackofficeError as exc:
        if exc.code != identity.NOT_BOUND:
            raise
        common.ask_to_verify(dispatcher, "cemetery_my_booking", "查祭扫预约")
        return []
    checked_in = [common.describe_checked_in(b) for b in found["checked_in"]]  # today's, already through the gate
    if not listing(found) and not checked_in:
        dispatcher.utter(response="utter_cemetery_no_bookings")
        return []
    lines = checked_in + [line for _, line in listing(found)]
    lines += [f"入园码（{b['number']}）：{b['gate_url']}" for b in found["bookings"]]
    dispatcher.utter(response="utter_cemetery_my_bookings", listing="\n".join(lines))
    return []


@action("action_cemetery_stop")
def stop(dispatcher: Dispatcher, _tracker: Tracker, _domain: dict[str, Any]) -> list[dict]:
    dispatcher.utter(response="utter_cemetery_stopped")
    return [active_loop(None)] + reset(tuple(dict.fromkeys(booking.SLOTS + SLOTS)))


class _ManageForm(FormValidation):
    """What cancelling and moving share: which of the resident's own bookings, and a yes or no."""

    asks_itself = True
    own_actions = common.FORMS
    verb: str
    resume: tuple[str, str]
    waiting_too: bool  # whether a waiting-list place can be picked

    def interrupt(self, call: FormCall) -> list[dict] | None:
        try:
            mine(call.tracker)
        except BackofficeError as exc:
            if exc.code != identity.NOT_BOUND:
                raise
            common.ask_to_verify(call.dispatcher, *self.resume)
            return call.events + reset(SLOTS, end_form=True)
        return None

    def backoffice_down(self, call: FormCall, exc: BackofficeUnavailable) -> list[dict]:
        call.say("utter_cemetery_manage_down")
        request_handoff(call.dispatcher, "backoffice_down")
        return call.events + reset(SLOTS, end_form=True)

    def choices(self, call: FormCall) -> list[tuple[str, str]]:
        found = mine(call.tracker)
        return listing(found) if self.waiting_too else listing({**found, "waiting": []})

    def picked(self, call: FormCall) -> dict | None:
        found = mine(call.tracker)
        number = call.get("cemetery_booking")
        every = found["bookings"] + (found["waiting"] if self.waiting_too else [])
        return next((b for b in every if b["number"] == number), None)

    def extract_cemetery_booking(self, call: FormCall) -> None:
        if not call.get("cemetery_booking"):
            chosen = next((n for n, _ in self.choices(call) if n in call.text.upper()), None)
            if chosen:
                call.set("cemetery_booking", chosen)

    def extract_cemetery_confirmed(self, call: FormCall) -> None:
        if call.requested != "cemetery_confirmed" or call.events:
            return
        said_verb = self.verb in call.text and not re.search(r"不|别|没", call.text)
        if call.intent == "affirm" or YES.match(call.text) or said_verb:
            call.set("cemetery_confirmed", True)
        elif call.intent in ("deny", "stop") or NO.match(call.text) or call.text.startswith("不"):
            call.set("cemetery_confirmed", False)

    def validate_cemetery_booking(self, call: FormCall, value: str) -> dict:
        return {} if any(n == value for n, _ in self.choices(call)) else {"cemetery_booking": None}

    def ask_cemetery_booking(self, call: FormCall) -> list[dict] | None:
        choices = self.choices(call)
        if not choices:
            call.say("utter_cemetery_no_bookings")
            return call.events + reset(SLOTS, end_form=True)
        if len(choices) == 1:
            call.set("cemetery_booking", choices[0][0])
            return None
        return call.ask(
            "cemetery_booking",
            "utter_cemetery_ask_which_booking",
            buttons=[button(line, number) for number, line in choices],
            verb=self.verb,
        )


class CancelForm(_ManageForm):
    form = CANCEL_FORM
    verb = "取消"
    resume = ("cemetery_cancel", "取消祭扫预约")
    waiting_too = True

    def required_slots(self, call: FormCall) -> list[str]:
        return ["cemetery_booking", "cemetery_confirmed"]

    def slots_to_extract(self, call: FormCall) -> list[str]:
        return ["cemetery_booking", "cemetery_confirmed"]

    def slots_to_validate(self, call: FormCall) -> set[str]:
        return {"cemetery_booking"}

    def ask_cemetery_confirmed(self, call: FormCall) -> list[dict]:
        line = dict(self.choices(call))[call.get("cemetery_booking")]
        return call.ask("cemetery_confirmed", "utter_cemetery_ask_cancel_confirm", listing=line)


@action("action_cemetery_cancel_submit")
def cancel_submit(dispatcher: Dispatcher, tracker: Tracker, _domain: dict[str, Any]) -> list[dict]:
    number = confirmed_item(dispatcher, tracker, "cemetery_booking", "cemetery_confirmed", "utter_cemetery_cancel_kept")
    if number is None:
        return reset(SLOTS)
    kind = "waitlist" if number.startswith("HB") else "bookings"
    key = idempotency_key(tracker, CANCEL_FORM, {"number": number})
    try:
        services.backoffice().post(f"/cemetery/{kind}/{number}/cancel", {"openid": tracker.sender_id}, key)
    except BackofficeUnavailable:
        dispatcher.utter(response="utter_cemetery_manage_down")
        request_handoff(dispatcher, "backoffice_down")
        return reset(SLOTS)
    except BackofficeError as exc:
        dispatcher.utter(response="utter_cemetery_backoffice_refused", message=exc.message)
        return reset(SLOTS)
    dispatcher.utter(response="utter_cemetery_cancelled", number=number)
    return reset(SLOTS)


class RescheduleForm(_ManageForm):
    form = RESCHEDULE_FORM
    verb = "改时间"
    resume = ("cemetery_reschedule", "改祭扫预约")
    waiting_too = False

    def required_slots(self, call: FormCall) -> list[str]:
        return ["cemetery_booking", "cemetery_date", "cemetery_slot", "cemetery_confirmed"]

    def slots_to_extract(self, call: FormCall) -> list[str]:
        return ["cemetery_booking", "cemetery_date", "cemetery_slot", "cemetery_confirmed"]

    def slots_to_validate(self, call: FormCall) -> set[str]:
        return {"cemetery_booking", "cemetery_date", "cemetery_slot"}

    def interrupt(self, call: FormCall) -> list[dict] | None:
        refused = super().interrupt(call)
        if refused is not None:
            return refused
        if call.fresh and call.intent == "cemetery_cancel":  # leave the move: the cancel form asks "确定取消吗？"
            return call.events + reset(SLOTS[1:], end_form=True) + [followup(CANCEL_FORM)]
        return None

    def extract_cemetery_booking(self, call: FormCall) -> None:
        super().extract_cemetery_booking(call)
        if not call.get("cemetery_booking") and len(choices := self.choices(call)) == 1:
            call.set("cemetery_booking", choices[0][0])  # the only one: the first message can already move it

    def ask_cemetery_booking(self, call: FormCall) -> list[dict] | None:
        found = mine(call.tracker)
        if not found["bookings"] and found["waiting"]:
            call.say("utter_cemetery_waitlist_not_movable")
            return call.events + reset(SLOTS, end_form=True)
        return super().ask_cemetery_booking(call)

    def extract_cemetery_date(self, call: FormCall) -> None:
        picked = self.picked(call)
        if not picked or call.requested == "cemetery_booking":
            return
        shown = common.availability(picked["cemetery"]["code"])
        day = date_in(call) or common.festival_day(call.text, shown)
        if not day and not call.get("cemetery_date") and common.names_a_time(call.text):
            day = picked["date"]  # "改到下午": the same day, another time
        if day and day != call.get("cemetery_date"):
            call.set("cemetery_date", day)
            call.clear("cemetery_slot")

    def extract_cemetery_slot(self, call: FormCall) -> None:
        picked = self.picked(call)
        asked = call.requested == "cemetery_slot" or common.names_a_time(call.text)
        if not asked or not picked or not call.get("cemetery_date"):
            return
        day = common.day_of(picked["cemetery"]["code"], call.get("cemetery_date"))
        fits = common.free_slots(day, picked["people"]) if day else []
        chosen = common.slot_in(call.text, fits)
        if chosen is not None:
            call.set("cemetery_slot", common.slot_value(chosen))

    def after_extraction(self, call: FormCall) -> list[dict] | None:
        if call.get("cemetery_confirmed") is False and self.picked(call):
            return call.finish(None)
        return None

    def validate_cemetery_date(self, call: FormCall, value: str) -> dict:
        picked = self.picked(call)
        day = common.day_of(picked["cemetery"]["code"], value) if picked else None
        if day is None or not day["open"]:
            message = (
                day["reason"]
                if day
                else common.not_a_booking_day(common.availability(picked["cemetery"]["code"])["season"])
            )
            call.say("utter_cemetery_day_not_bookable", message=message)
            return {"cemetery_date": None, "cemetery_slot": None}
        return {}

    def validate_cemetery_slot(self, call: FormCall, value: str) -> dict:
        picked = self.picked(call)
        day = common.day_of(picked["cemetery"]["code"], call.get("cemetery_date"))
        s = common.slot_of(day, value) if day else None
        return {} if s and s["free"] >= picked["people"] else {"cemetery_slot": None}

    def ask_cemetery_date(self, call: FormCall) -> list[dict]:
        picked = self.picked(call)
        shown = common.availability(picked["cemetery"]["code"])
        offered = [d for d in shown["days"] if d["open"] and d["free"] >= picked["people"]][:8]
        return call.ask(
            "cemetery_date",
            "utter_cemetery_ask_date",
            season_note="",
            site_name=picked["cemetery"]["name"],
            buttons=[common.day_button(d, shown["season"]["name"]) for d in offered],
            **common.date_examples(shown["season"], offered),
        )

    def ask_cemetery_slot(self, call: FormCall) -> list[dict]:
        picked = self.picked(call)
        day = common.day_of(picked["cemetery"]["code"], call.get("cemetery_date"))
        fits = common.free_slots(day, picked["people"])
        if not fits:
            shown = common.availability(picked["cemetery"]["code"])
            others = [d for d in shown["days"] if d["open"] and d["free"] >= picked["people"]][:5]
            call.say(
                "utter_cemetery_day_full",
                day=day["label"],
                site_name=picked["cemetery"]["name"],
                buttons=[common.day_button(d, shown["season"]["name"]) for d in others],
            )
            return call.events + [slot_set("cemetery_date", None), slot_set("requested_slot", "cemetery_date")]
        return call.ask(
            "cemetery_slot",
            "utter_cemetery_ask_slot",
            day=day["label"],
            site_name=picked["cemetery"]["name"],
            buttons=[common.slot_button(s) for s in fits],
        )

    def ask_cemetery_confirmed(self, call: FormCall) -> list[dict]:
        picked = self.picked(call)
        day = common.day_of(picked["cemetery"]["code"], call.get("cemetery_date"))
        s = common.slot_of(day, call.get("cemetery_slot"))
        return call.ask(
            "cemetery_confirmed",
            "utter_cemetery_ask_reschedule_confirm",
            number=picked["number"],
            day=day["label"],
            start=s["start"],
            end=s["end"],
            site_name=picked["cemetery"]["name"],
            gate_name=s["gate_name"],
        )


@action("action_cemetery_reschedule_submit")
def reschedule_submit(dispatcher: Dispatcher, tracker: Tracker, _domain: dict[str, Any]) -> list[dict]:
    number = confirmed_item(
        dispatcher, tracker, "cemetery_booking", "cemetery_confirmed", "utter_cemetery_reschedule_kept"
    )
    if number is None:
        return reset(SLOTS)
    try:
        found = mine(tracker)
        current = next(b for b in found["bookings"] if b["number"] == number)
        site = common.cemetery(current["cemetery"]["code"])
        day = common.day_of(site["code"], tracker.get_slot("cemetery_date"))
        chosen = common.slot_of(day, tracker.get_slot("cemetery_slot")) if day else None
        gate = next((g["code"] for g in site["gates"] if chosen and g["name"] == chosen["gate_name"]), "")
        body = {
            "openid": tracker.sender_id,
            "date": tracker.get_slot("cemetery_date"),
            "gate_code": gate,
            "start": chosen["start"] if chosen else "",
        }
        key = idempotency_key(tracker, RESCHEDULE_FORM, {"number": number, **body})
        moved = services.backoffice().post(f"/cemetery/bookings/{number}/reschedule", body, key)
    except BackofficeUnavailable:
        dispatcher.utter(response="utter_cemetery_manage_down")
        request_handoff(dispatcher, "backoffice_down")
        return reset(SLOTS)
    except BackofficeError as exc:
        dispatcher.utter(response="utter_cemetery_backoffice_refused", message=exc.message)
        if exc.code == "slot_full":
            return [slot_set("cemetery_slot", None), slot_set("cemetery_confirmed", None), followup(RESCHEDULE_FORM)]
        return reset(SLOTS)
    dispatcher.utter(
        response="utter_cemetery_rescheduled",
        number=moved["number"],
        day=moved["date_label"],
        start=moved["start"],
        end=moved["end"],
        site_name=moved["cemetery"]["name"],
        gate_name=moved["gate"]["name"],
        gate_url=moved["gate_url"],
    )
    return reset(SLOTS)
