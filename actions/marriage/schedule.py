"""Settling the day and the time slot of an appointment (booking and rescheduling share it).

``read_answer`` reads a day and a time slot from the resident's message. ``check_date`` and
``check_slot`` keep what the slots hold when the back-office would accept it, or clear it and say
why; ``ask_date`` and ``ask_slot`` ask again, offering what is still free. When the first weeks have no
free place, ``ask_date`` says why, day by day as the back-office gives it (full, a holiday, a closure),
and looks further, to the end of the booking window. A day of a year whose holiday arrangement is not
published yet comes with the back-office's notice, said when the resident picks it.
"""

from __future__ import annotations

from dataclasses import dataclass

from actions.forms import SAME_WAY, FormCall, answers_not_taken
from actions.marriage.common import (
    YES,
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
LOOK_FURTHER = 62  # days: when the first weeks have no free place, the rest of the window (the back-office's most)
OUT_OF_WINDOW = "不在可预约的日期范围内"  # the back-office's reason for a day outside the booking window
WEEKEND = "周末登记处不上班"  # the back-office's reason for a weekend: not worth telling
SLOT_REFUSED = "slot_refused"  # call notes: the slot held was full, so 上午/下午 alone does not pick another
NEAREST_WITHIN = 3  # days: a day that cannot be booked is replaced by the first free day this close after it


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
    elif call.requested == "marriage_date" and (wants_earliest(call.text) or _yes_to_earliest(call)):
        options = free_days(_offered_days(where, where.first), where.last, limit=1)
        if options:
            call.set("marriage_date", options[0])
    if half and half != call.get("marriage_time_of_day"):
        call.set("marriage_time_of_day", half)
        if call.get("marriage_slot") and half_of(call.get("marriage_slot")) != half:
            call.clear("marriage_slot")
    if call.requested == "marriage_slot" and call.get("marriage_date") and call.text:
        _read_slot(call, where, half)


def _yes_to_earliest(call: FormCall) -> bool:
    """A yes when the day was last asked the other way, which offers the earliest day ("您可以回“最早”…")."""
    return bool(YES.match(call.text)) and answers_not_taken(call.tracker.events, "marriage_date") > SAME_WAY


def _read_slot(call: FormCall, where: Where, half: str | None) -> None:
    """The answer to "which time slot?": a time ("9点"), or a half day or "最早的" (its first free slot, said so)."""
    day = day_of(where, call.get("marriage_date"))
    found = None if half else start_in(call.text, [s["start"] for s in day["slots"]])
    if found:
        call.set("marriage_slot", found)
        return
    free = [s for s in day["slots"] if s["free"] > 0]
    wanted = [s for s in free if half_of(s["start"]) == half] if half else free if wants_earliest(call.text) else []
    if wanted:  # a half day that is full is said so when the slot is asked again
        chosen = wanted[0]
        call.set("marriage_slot", chosen["start"])
        call.say(
            "utter_marriage_slot_auto",
            day=day["label"],
            half=half_of(chosen["start"]),
            start=chosen["start"],
            end=chosen["end"],
        )


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
        if day.get("notice"):  # its year's holiday arrangement is not published: the day is provisional
            call.say(text=day["notice"])
        return
    call.clear("marriage_date", "marriage_slot")
    if day["reason"] == OUT_OF_WINDOW:  # beyond the window nothing is offered: offer from its start instead
        return
    call.notes[OFFER_FROM] = max(filter(None, [where.first, next_day(iso)]))
    _take_nearest(call, where, call.notes[OFFER_FROM])


def _take_nearest(call: FormCall, where: Where, first: str) -> None:
    """The day named cannot be booked (tomorrow after the cut-off, a weekend, a holiday, a full day): the first free
    day just after it is taken instead, said so, with the half day asked for, rather than the day asked again, so
    the answers the resident goes on to give fit the questions that follow. The read-back still shows it, and
    "改日期" changes it. Nothing close: the free days are offered, as before."""
    if where.last and first > where.last:
        return
    near = days_from(where.office["code"], first, NEAREST_WITHIN, until=where.last)
    found = free_days(near, where.last, limit=1)
    if not found:
        return
    day = next(d for d in near if d["date"] == found[0])
    call.set("marriage_date", found[0])
    call.say("utter_marriage_day_instead", day=day_label(found[0], near))
    if day.get("notice"):
        call.say(text=day["notice"])


def ask_date(call: FormCall, where: Where) -> list[dict]:
    days = _offered_days(where, call.notes.get(OFFER_FROM, where.first))
    options = free_days(days, where.last)
    if not options and days:
        later = days_from(where.office["code"], next_day(days[-1]["date"]), LOOK_FURTHER, until=where.last)
        options = free_days(later, where.last)
        why = why_none(days, where.office["name"])
        if not options:
            call.say(
                text=f"{why}在可以预约的日子里，{where.office['name']}已经没有空位了。"
                "您可以换一个登记处，或者过几天再来看看，有人取消了就会空出来。"
            )
            return call.finish("marriage_date")
        call.say(text=f"{why}再往后还有能约的日子。")
        days = days + later
    return call.ask(
        "marriage_date",
        "utter_marriage_ask_date",
        buttons=[button(day_label(d, days), d) for d in options],
        office_name=where.office["name"],
    )


def _minutes(start: str) -> int:
    hours, minutes = start.split(":")
    return int(hours) * 60 + int(minutes)


def check_slot(call: FormCall, where: Where) -> None:
    """The slot held must still have room. One that filled up (others book while the resident answers the next
    questions) is replaced by the nearest free slot of the same day, said so, rather than asked again while the
    resident goes on with the next answers, as a day that cannot be booked is (``_take_nearest``); the read-back
    still shows it, and "改时段" changes it. A day with no free slot left: the slot is asked again."""
    day = day_of(where, call.get("marriage_date"))
    start = call.get("marriage_slot")
    if any(s["start"] == start and s["free"] > 0 for s in day["slots"]):
        return
    free = [s for s in day["slots"] if s["free"] > 0]
    if free:
        wanted = _minutes(start) if start and ":" in start else 0
        instead = min(free, key=lambda s: (abs(_minutes(s["start"]) - wanted), s["start"] < (start or "")))
        call.set("marriage_slot", instead["start"])
        call.say(
            text=f"{day['label']} {start} 这个时段刚刚约满了，给您换成了离它最近的 {instead['start']}-{instead['end']}。"
            "最后核对的时候还可以改。"
        )
        return
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


def why_none(days: list[dict], office_name: str) -> str:
    """Why none of ``days`` has a free place, in the back-office's words, consecutive days with the same reason
    together: "12月8日（周二）到12月10日（周四）已经约满了；12月11日（周五）系统升级，暂停办理。" """
    runs: list[tuple[str, str, str]] = []  # first label, last label, reason
    for day in days:
        if day["reason"] in (OUT_OF_WINDOW, WEEKEND):
            continue
        reason = day["reason"] or "已经约满了"
        if runs and runs[-1][2] == reason:
            runs[-1] = (runs[-1][0], day["label"], reason)
        else:
            runs.append((day["label"], day["label"], reason))
    if not runs:
        return ""
    parts = [(first if first == last else f"{first}到{last}") + reason for first, last, reason in runs]
    return f"{office_name}这段时间约不上：" + "；".join(parts) + "。"
