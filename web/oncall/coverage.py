"""The times of the coming week when the desk is closed and nobody is on call.

At such a time a resident in danger is told to call 110/120 and to leave a number (web/handoff/queue.py),
but no one is alerted: the rota page lists these gaps for staff, and the web process exports their
length (``oncall_uncovered_minutes``, alert ``OncallRotaGap``: docs/alerts.md). The week is read in
steps of ``STEP`` on the desk's calendar (public holidays and 调休 as the rota and the desk read them).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from web.oncall.models import OncallShift
from web.oncall.rota import covers
from web.workdays import DAY_NAMES, DAYS, to_local

STEP = timedelta(minutes=5)
AHEAD = timedelta(days=7)


@dataclass(frozen=True)
class Gap:
    starts: datetime  # local
    ends: datetime  # local

    @property
    def minutes(self) -> int:
        return int((self.ends - self.starts).total_seconds() // 60)

    def describe(self) -> str:
        """For staff: "12月12日（周六）09:00 – 12月13日（周日）09:00"."""
        return f"{_moment(self.starts)} – {_moment(self.ends)}"


def _moment(local: datetime) -> str:
    return f"{local.month}月{local.day}日（{DAY_NAMES[DAYS[local.weekday()]]}）{local:%H:%M}"


def gaps(sess: Session, now: datetime, desk_open: Callable[[datetime], bool]) -> list[Gap]:
    """The spans of the week from ``now`` (naive UTC) when the desk is closed and no shift covers.
    ``desk_open`` tells whether the desk is open at a local moment (the desk's hours are its own:
    web/handoff/config.py ``opening``, given by the wiring, as this package imports nothing of the desk)."""
    shifts = [(shift.day_list, shift.starts, shift.ends) for shift in sess.scalars(select(OncallShift))]
    local = to_local(now)
    moment = local.replace(minute=local.minute - local.minute % 5, second=0, microsecond=0)
    found: list[Gap] = []
    for _ in range(int(AHEAD / STEP)):
        covered = desk_open(moment) or any(covers(days, starts, ends, moment) for days, starts, ends in shifts)
        if not covered and found and found[-1].ends == moment:
            found[-1] = Gap(found[-1].starts, moment + STEP)
        elif not covered:
            found.append(Gap(moment, moment + STEP))
        moment += STEP
    return found
