"""Settling the day and the time slot of an appointment (booking and rescheduling share it).

Each ``settle_*`` either accepts what the slots hold (returns None) or clears what the
back-office would refuse, says why, and asks again, offering what is still free.
"""
from __future__ import annotations

from dataclasses import dataclass

from actions.marriage.common import Turn, chinese_date, date_in, day_label, days_from, free_days, half_of, next_day, \
    numbered, start_in, wants_earliest


@dataclass(frozen=True)
class Where:
    office: dict
    first: str | None = None  # a divorce certificate's window, else the office's booking window
    last: str | None = None


def read_answer(turn: Turn, where: Where) -> None:
    """Interpret the resident's latest message for the day and time slot, whatever was asked."""
    half = turn.entity("time_of_day") or next((h for h in ("上午", "下午") if h in turn.text), None)
    iso = date_in(turn)
    if iso and iso != turn.get("marriage_date"):
        turn.set("marriage_date", iso)
        turn.clear("marriage_slot")
    elif turn.get("requested_slot") == "marriage_date" and wants_earliest(turn.text):
        days = days_from(where.office["code"], where.first, 31 if where.first else 21, until=where.last)
        options = free_days(days, where.last, limit=1)
        if options:
            turn.set("marriage_date", options[0])
    if half and half != turn.get("marriage_time_of_day"):
        turn.set("marriage_time_of_day", half)
        if turn.get("marriage_slot") and half_of(turn.get("marriage_slot")) != half:
            turn.clear("marriage_slot")
    if turn.get("requested_slot") == "marriage_slot" and turn.get("marriage_date"):
        picked = turn.choice()
        if picked and ":" in picked:
            turn.set("marriage_slot", picked)
        elif turn.text and not half:
            starts = [s["start"] for s in _day(where, turn.get("marriage_date"))["slots"]]
            found = start_in(turn.text, starts)
            if found:
                turn.set("marriage_slot", found)


def _day(where: Where, iso: str) -> dict:
    params_last = where.last if where.last and where.last > iso else None
    return days_from(where.office["code"], iso, 1, until=params_last)[0]


def settle_date(turn: Turn, where: Where) -> list[dict] | None:
    iso = turn.get("marriage_date")
    offer_from = where.first
    if iso:
        if (where.first and iso < where.first) or (where.last and iso > where.last):
            turn.say("utter_marriage_day_closed", day=chinese_date(iso),
                     reason=f"不在可以约的日子里（要在{chinese_date(where.first or iso)}到{chinese_date(where.last or iso)}之间）")
            turn.clear("marriage_date", "marriage_slot")
        else:
            day = _day(where, iso)
            if not day["open"]:
                turn.say("utter_marriage_day_closed", day=chinese_date(iso), reason=day["reason"] or "不能预约")
                turn.clear("marriage_date", "marriage_slot")
                offer_from = max(filter(None, [where.first, next_day(iso)]))
            elif not any(s["free"] > 0 for s in day["slots"]):
                turn.say("utter_marriage_day_full", day=chinese_date(iso), office_name=where.office["name"])
                turn.clear("marriage_date", "marriage_slot")
                offer_from = max(filter(None, [where.first, next_day(iso)]))
            else:
                return None
    days = days_from(where.office["code"], offer_from, 31 if where.first else 21, until=where.last)
    options = free_days(days, where.last)
    listing = numbered([day_label(d, days) for d in options]) if options else "最近几周都已经约满了，您可以说一个更晚的日子试试。"
    return turn.ask("marriage_date", "utter_marriage_ask_date", options, choices=listing, office_name=where.office["name"])


def settle_slot(turn: Turn, where: Where) -> list[dict] | None:
    iso = turn.get("marriage_date")
    day = _day(where, iso)
    free = [s for s in day["slots"] if s["free"] > 0]
    start = turn.get("marriage_slot")
    if start:
        if any(s["start"] == start for s in free):
            return None
        turn.say("utter_marriage_backoffice_refused", message=f"{chinese_date(iso)} {start} 这个时段已经约满了。")
        turn.clear("marriage_slot")
    half = turn.get("marriage_time_of_day")
    wanted = [s for s in free if not half or half_of(s["start"]) == half]
    if half and not wanted:
        turn.say("utter_marriage_half_full", day=chinese_date(iso), half=half)
        turn.clear("marriage_time_of_day")
        half, wanted = None, free
    if half and not start:
        chosen = wanted[0]
        turn.set("marriage_slot", chosen["start"])
        turn.say("utter_marriage_slot_auto", day=chinese_date(iso), half=half, start=chosen["start"], end=chosen["end"])
        return None
    lines = [f"{s['start']}-{s['end']}（还剩{s['free']}个）" for s in wanted]
    return turn.ask("marriage_slot", "utter_marriage_ask_slot", [s["start"] for s in wanted], choices=numbered(lines),
                    day=chinese_date(iso), office_name=where.office["name"], half=half or "")
