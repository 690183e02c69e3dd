"""Settling the day and the time slot of an appointment (booking and rescheduling share it).

``read_answer`` reads a day and a time slot from the resident's message. ``check_date`` and
``check_slot`` keep what the slots hold when the back-office would accept it, or clear it and say
why; ``ask_date`` and ``ask_slot`` ask again, offering what is still free.
"""

from __future__ import annotations

from dataclasses import dataclass

from actions.forms import FormCall
from actions.marriage.common import (
    button,
    date_in,
    day_label,
    days_from,
    free_days,
    half_of,
    next_day,
    start_in,
    wants_earliest,
)

OFFER_FROM = "offer_from"  # call notes: the first day to offer after a day was refused
SLOT_REFUSED = "slot_refused"  # call notes: the slot held was full, so 上午/下午 alone does not pick another


@dataclass(frozen=True)
class Where:
    office: dict
    first: str | None = None  # a divorce certificate's window, else the office's booking window
    last: str | None = None
    first_label: str = ""  # the window's ends as the back-office writes them
    last_label: str = ""


def read_answer(call: FormCall, where: Where) -> None:
    """Interpret the resident's latest message for the day and time slot, whatever was asked."""
    half = call.entity("time_of_day") or next((h for h in ("上午", "下午") if h in call.text), None)
    iso = date_in(call)
    if iso and iso != call.get("marriage_date"):
        call.set("marriage_date", iso)
        call.clear("marriage_slot")
    elif call.requested == "marriage_date" and wants_earliest(call.text):
        options = free_days(_offered_days(where, where.first), where.last, limit=1)
        if options:
            call.set("marriage_date", options[0])
    if half and half != call.get("marriage_time_of_day"):
        call.set("marriage_time_of_day", half)
        if call.get("marriage_slot") and half_of(call.get("marriage_slot")) != half:
            call.clear("marriage_slot")
    if call.requested == "marriage_slot" and call.get("marriage_date") and call.text and not half:
        starts = [s["start"] for s in day_of(where, call.get("marriage_date"))["slots"]]
        found = start_in(call.text, starts)
        if found:
            call.set("marriage_slot", found)


def day_of(where: Where, iso: str) -> dict:
    """The back-office's day ``iso`` at the office: open or why not, its label, its slots with free places."""
    params_last = where.last if where.last and where.last > iso else None
    return days_from(where.office["code"], iso, 1, until=params_last)[0]


def _offered_days(where: Where, first: str | None) -> list[dict]:
    return days_from(where.office["code"], first, 31 if where.first else 21, until=where.last)


def check_date(call: FormCall, where: Where) -> None:
    iso = call.get("marriage_date")
    call.notes[OFFER_FROM] = where.first
    if (where.first and iso < where.first) or (where.last and iso > where.last):
        call.say(
            "utter_marriage_day_closed",
            day=day_of(where, iso)["label"],
            reason=f"不在可以约的日子里（要在{where.first_label}到{where.last_label}之间）",
        )
        call.clear("marriage_date", "marriage_slot")
        return
    day = day_of(where, iso)
    if not day["open"]:
        call.say("utter_marriage_day_closed", day=day["label"], reason=day["reason"] or "不能预约")
    elif not any(s["free"] > 0 for s in day["slots"]):
        call.say("utter_marriage_day_full", day=day["label"], office_name=where.office["name"])
    else:
        return
    call.clear("marriage_date", "marriage_slot")
    call.notes[OFFER_FROM] = max(filter(None, [where.first, next_day(iso)]))


def ask_date(call: FormCall, where: Where) -> list[dict]:
    days = _offered_days(where, call.notes.get(OFFER_FROM, where.first))
    options = free_days(days, where.last)
    if not options:
        return call.ask("marriage_date", "utter_marriage_ask_later_date", office_name=where.office["name"])
    return call.ask(
        "marriage_date",
        "utter_marriage_ask_date",
        buttons=[button(day_label(d, days), d) for d in options],
        office_name=where.office["name"],
    )


def check_slot(call: FormCall, where: Where) -> None:
    day = day_of(where, call.get("marriage_date"))
    start = call.get("marriage_slot")
    if not any(s["start"] == start and s["free"] > 0 for s in day["slots"]):
        call.say("utter_marriage_backoffice_refused", message=f"{day['label']} {start} 这个时段已经约满了。")
        call.clear("marriage_slot")
        call.notes[SLOT_REFUSED] = True


def ask_slot(call: FormCall, where: Where) -> list[dict] | None:
    """Ask for a time slot; with 上午/下午 given, the first free slot of that half is taken without asking."""
    day = day_of(where, call.get("marriage_date"))
    free = [s for s in day["slots"] if s["free"] > 0]
    half = call.get("marriage_time_of_day")
    wanted = [s for s in free if not half or half_of(s["start"]) == half]
    if half and not wanted:
        call.say("utter_marriage_half_full", day=day["label"], half=half)
        call.clear("marriage_time_of_day")
        half, wanted = None, free
    if half and not call.notes.get(SLOT_REFUSED):
        chosen = wanted[0]
        call.set("marriage_slot", chosen["start"])
        call.say("utter_marriage_slot_auto", day=day["label"], half=half, start=chosen["start"], end=chosen["end"])
        return None
    return call.ask(
        "marriage_slot",
        "utter_marriage_ask_slot",
        buttons=[button(f"{s['start']}-{s['end']}（还剩{s['free']}个）", s["start"]) for s in wanted],
        day=day["label"],
        office_name=where.office["name"],
        half=half or "",
    )
