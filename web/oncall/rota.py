"""Who is on call at a given moment, and whom to try after them.

A shift is weekly: its days (mon … sun, and ``holiday`` for statutory public holidays) and local
start and end times. A shift whose end is at or before its start runs into the next morning and
belongs to the day it starts on: a Friday 17:00–09:00 shift covers Saturday 03:00. Days are read
on the desk's calendar (web/workdays.py): on a public holiday only ``holiday`` shifts start, and
a weekend working day (调休) counts as a Monday.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from web.oncall.models import OncallShift, OncallWorker
from web.workdays import DAY_NAMES, DAYS, day_kind, to_local

SHIFT_DAYS = (*DAYS, "holiday")
HHMM = re.compile(r"^(?:[01]\d|2[0-3]):[0-5]\d$")  # a start; an end may also be 24:00
DAY_MINUTES = 24 * 60


@dataclass(frozen=True)
class Target:
    """One person an alert is sent to (copied into the alert: the rota may change meanwhile)."""

    name: str
    phone: str
    role: str

    def as_dict(self) -> dict[str, str]:
        return {"name": self.name, "phone": self.phone, "role": self.role}


def minutes(hhmm: str) -> int:
    hours, mins = hhmm.split(":")
    return int(hours) * 60 + int(mins)


def valid_time(hhmm: str, end: bool = False) -> bool:
    return bool(HHMM.match(hhmm)) or (end and hhmm == "24:00")


def overnight(starts: str, ends: str) -> bool:
    """True when the shift runs into the next day (09:00–09:00: 24 hours)."""
    return minutes(ends) <= minutes(starts)


def covers(days: Iterable[str], starts: str, ends: str, local: datetime) -> bool:
    """Does a shift on ``days`` from ``starts`` to ``ends`` cover the local moment ``local``?"""
    days = set(days)
    start, end = minutes(starts), minutes(ends)
    now = local.hour * 60 + local.minute
    today = day_kind(local.date())
    if not overnight(starts, ends):
        return today in days and start <= now < end
    yesterday = day_kind(local.date() - timedelta(days=1))
    return (today in days and now >= start) or (yesterday in days and now < end)


def on_call(sess: Session, now: datetime) -> list[OncallWorker]:
    """The workers on shift at ``now`` (naive UTC), each once, in the order their shifts were entered."""
    local = to_local(now)
    found: list[OncallWorker] = []
    for shift in sess.scalars(select(OncallShift).options(selectinload(OncallShift.worker)).order_by(OncallShift.id)):
        if shift.worker not in found and covers(shift.day_list, shift.starts, shift.ends, local):
            found.append(shift.worker)
    return found


def escalation_list(sess: Session) -> list[OncallWorker]:
    return list(
        sess.scalars(
            select(OncallWorker)
            .where(OncallWorker.escalation_rank.is_not(None))
            .order_by(OncallWorker.escalation_rank, OncallWorker.id)
        )
    )


def chain(sess: Session, now: datetime) -> list[Target]:
    """Whom an alert at ``now`` tries, in order: who is on shift, then the escalation list (each
    person once). Empty when nobody is on shift: the escalation list backs the person on call
    up, it is not a rota of its own."""
    first = on_call(sess, now)
    if not first:
        return []
    people = first + [w for w in escalation_list(sess) if w not in first]
    return [Target(w.name, w.phone, w.role) for w in people]


def describe(shift: OncallShift) -> str:
    """For staff: "周一、周三 17:00–次日 09:00"."""
    days = "、".join(DAY_NAMES[d] for d in SHIFT_DAYS if d in shift.day_list)
    if shift.starts == shift.ends:
        return f"{days} {shift.starts}起 24 小时"
    ends = f"次日 {shift.ends}" if overnight(shift.starts, shift.ends) else shift.ends
    return f"{days} {shift.starts}–{ends}"
