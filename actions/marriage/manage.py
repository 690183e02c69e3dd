"""The resident's own appointments: look up, cancel, reschedule.

"Own" is decided by the back-office from the conversation's sender id (the WeChat openid),
which is bound to the ID number used when booking; the actions never pass an ID number.
"""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from actions import services
from actions.dispatcher import Dispatcher
from actions.events import active_loop, followup, slot_set
from actions.executor import action
from actions.handoff import request_handoff
from actions.marriage import common
from actions.marriage.booking import kind_label
from actions.marriage.common import Turn, chinese_date, numbered
from actions.marriage.schedule import Where, read_answer, settle_date, settle_slot
from actions.tracker import Tracker
from common.backoffice_client import BackofficeError, BackofficeUnavailable

CANCEL_FORM, RESCHEDULE_FORM = "marriage_cancel_form", "marriage_reschedule_form"
SLOTS = ("marriage_appointment", "marriage_date", "marriage_slot", "marriage_time_of_day", "marriage_confirmed", "marriage_choices")
COOLING_OFF_FIRST, COOLING_OFF_LAST = 31, 60


def reset() -> list[dict]:
    return [slot_set(name, None) for name in SLOTS] + [slot_set("requested_slot", None)]


def mine(tracker: Tracker) -> list[dict]:
    return services.backoffice().get("/marriage/appointments", openid=tracker.sender_id)["appointments"]


def describe(a: dict) -> str:
    kind = kind_label({"marriage_type": a["service"], "marriage_divorce_stage": a["stage"]})
    people = "、".join(p["name"] for p in a["parties"])
    return (f"预约号 {a['number']}：{kind}，{chinese_date(a['date'])} {a['start']}-{a['end']}，"
            f"{a['office']['name']}（{a['office']['address']}），当事人 {people}")


@action("action_marriage_my_bookings")
def my_bookings(dispatcher: Dispatcher, tracker: Tracker, _domain: dict[str, Any]) -> list[dict]:
    try:
        appointments = mine(tracker)
    except BackofficeUnavailable:
        dispatcher.utter(response="utter_backoffice_down")
        return []
    if not appointments:
        dispatcher.utter(response="utter_marriage_no_appointments")
    else:
        dispatcher.utter(response="utter_marriage_my_appointments", listing="\n".join(describe(a) for a in appointments))
    return []


def _pick_appointment(turn: Turn, verb: str) -> list[dict] | dict:
    """The appointment being worked on, or the events that ask which one (or end the form when there is none)."""
    appointments = mine(turn.tracker)
    chosen = turn.get("marriage_appointment")
    if not chosen and turn.fresh:
        chosen = turn.choice() or next((a["number"] for a in appointments if a["number"] in turn.text.upper()), None)
    found = next((a for a in appointments if a["number"] == chosen), None)
    if found:
        turn.set("marriage_appointment", found["number"])
        return found
    if not appointments:
        turn.say("utter_marriage_no_appointments")
        return turn.events + reset() + [active_loop(None)]
    if len(appointments) == 1:
        turn.set("marriage_appointment", appointments[0]["number"])
        return appointments[0]
    return turn.ask("marriage_appointment", "utter_marriage_ask_which_appointment", [a["number"] for a in appointments],
                    verb=verb, choices=numbered([describe(a) for a in appointments]))


def _read_yes_no(turn: Turn) -> None:
    if turn.fresh and turn.get("requested_slot") == "marriage_confirmed":
        if turn.intent == "affirm" or common.YES.match(turn.text):
            turn.set("marriage_confirmed", True)
        elif turn.intent in ("deny", "stop") or common.NO.match(turn.text) or turn.text.startswith("不"):
            turn.set("marriage_confirmed", False)


def _down(turn: Turn) -> list[dict]:
    turn.say("utter_marriage_backoffice_down")
    request_handoff(turn.dispatcher, "backoffice_down")
    return turn.events + [active_loop(None), slot_set("requested_slot", None)]


@action("validate_marriage_cancel_form")
def validate_cancel(dispatcher: Dispatcher, tracker: Tracker, _domain: dict[str, Any]) -> list[dict]:
    turn = Turn.of(dispatcher, tracker)
    try:
        picked = _pick_appointment(turn, "取消")
    except BackofficeUnavailable:
        return _down(turn)
    if isinstance(picked, list):
        return picked
    _read_yes_no(turn)
    if turn.get("marriage_confirmed") is None:
        return turn.ask("marriage_confirmed", "utter_marriage_ask_cancel_confirm", listing=describe(picked))
    return turn.finish(None)


@action("action_marriage_cancel_submit")
def cancel_submit(dispatcher: Dispatcher, tracker: Tracker, _domain: dict[str, Any]) -> list[dict]:
    number, confirmed = tracker.get_slot("marriage_appointment"), tracker.get_slot("marriage_confirmed")
    if not number or confirmed is None:
        return reset()
    if confirmed is False:
        dispatcher.utter(response="utter_marriage_cancel_kept")
        return reset()
    key = common.idempotency_key(tracker, CANCEL_FORM, {"number": number})
    try:
        services.backoffice().post(f"/marriage/appointments/{number}/cancel", {"openid": tracker.sender_id}, idempotency_key=key)
    except BackofficeUnavailable:
        dispatcher.utter(response="utter_marriage_manage_down")
        request_handoff(dispatcher, "backoffice_down")
        return reset()
    except BackofficeError as exc:
        dispatcher.utter(response="utter_marriage_backoffice_refused", message=exc.message)
        return reset()
    dispatcher.utter(response="utter_marriage_cancelled", number=number)
    return reset()


def _window(appointment: dict) -> tuple[str | None, str | None]:
    if not appointment.get("application_date"):
        return None, None
    applied = date.fromisoformat(appointment["application_date"])
    return (applied + timedelta(days=COOLING_OFF_FIRST)).isoformat(), (applied + timedelta(days=COOLING_OFF_LAST)).isoformat()


@action("validate_marriage_reschedule_form")
def validate_reschedule(dispatcher: Dispatcher, tracker: Tracker, _domain: dict[str, Any]) -> list[dict]:
    turn = Turn.of(dispatcher, tracker)
    try:
        picked = _pick_appointment(turn, "改时间")
        if isinstance(picked, list):
            return picked
        where = Where(picked["office"], *_window(picked))
        if turn.fresh and turn.intent == "stop":
            return turn.finish(turn.get("requested_slot"), consumed=False)  # the stop rule ends the form
        before = len(turn.events)
        if turn.get("requested_slot") != "marriage_appointment":
            read_answer(turn, where)
        if len(turn.events) == before:
            _read_yes_no(turn)
        if turn.get("marriage_confirmed") is False:
            return turn.finish(None)
        for settle in (settle_date, settle_slot):
            question = settle(turn, where)
            if question is not None:
                return question
    except BackofficeUnavailable:
        return _down(turn)
    if turn.get("marriage_confirmed") is None:
        day = common.days_from(picked["office"]["code"], turn.get("marriage_date"), 1, until=where.last)[0]
        end = next(s["end"] for s in day["slots"] if s["start"] == turn.get("marriage_slot"))
        return turn.ask("marriage_confirmed", "utter_marriage_ask_reschedule_confirm", number=picked["number"],
                        day=chinese_date(turn.get("marriage_date")), start=turn.get("marriage_slot"), end=end,
                        office_name=picked["office"]["name"])
    return turn.finish(None)


@action("action_marriage_reschedule_submit")
def reschedule_submit(dispatcher: Dispatcher, tracker: Tracker, _domain: dict[str, Any]) -> list[dict]:
    number, confirmed = tracker.get_slot("marriage_appointment"), tracker.get_slot("marriage_confirmed")
    if not number or confirmed is None:
        return reset()
    if confirmed is False:
        dispatcher.utter(response="utter_marriage_reschedule_kept")
        return reset()
    body = {"openid": tracker.sender_id, "date": tracker.get_slot("marriage_date"), "start": tracker.get_slot("marriage_slot")}
    key = common.idempotency_key(tracker, RESCHEDULE_FORM, {"number": number, **body})
    try:
        moved = services.backoffice().post(f"/marriage/appointments/{number}/reschedule", body, idempotency_key=key)
    except BackofficeUnavailable:
        dispatcher.utter(response="utter_marriage_manage_down")
        request_handoff(dispatcher, "backoffice_down")
        return reset()
    except BackofficeError as exc:
        dispatcher.utter(response="utter_marriage_backoffice_refused", message=exc.message)
        if exc.code in ("slot_full", "office_closed", "cooling_off", "date_out_of_range"):
            return [slot_set(n, None) for n in ("marriage_date", "marriage_slot", "marriage_confirmed")] + [followup(RESCHEDULE_FORM)]
        return reset()
    dispatcher.utter(response="utter_marriage_rescheduled", number=moved["number"], day=chinese_date(moved["date"]),
                     start=moved["start"], end=moved["end"], office_name=moved["office"]["name"], address=moved["office"]["address"])
    return reset()
