"""When a visit must be booked, and when booking a day opens.

The rules are data (backoffice/seed/cemeteries.yaml): the booking seasons around 清明 and 冬至 (the solar
terms, as chinese-calendar computes them), and the default opening of a day's booking (``opening``), which
staff may replace for a day with the time they announced (table ``cemetery_opening``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path

import chinese_calendar
import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice.cemetery.models import CemeteryOpening
from backoffice.marriage.calendar import chinese_date

SEED = Path(__file__).resolve().parent.parent / "seed" / "cemeteries.yaml"
TERM_MONTHS = {"清明": 4, "冬至": 12}


@lru_cache(maxsize=1)
def config() -> dict:
    return yaml.safe_load(SEED.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Season:
    name: str
    term_day: date
    first: date
    last: date

    def days(self) -> list[date]:
        return [self.first + timedelta(days=i) for i in range((self.last - self.first).days + 1)]

    def json(self) -> dict:
        """The season as the availability and the plan show it."""
        return {
            "name": self.name,
            "date": self.term_day.isoformat(),
            "first": self.first.isoformat(),
            "last": self.last.isoformat(),
        }


def solar_term(name: str, year: int) -> date:
    month = TERM_MONTHS[name]
    return next(
        day
        for day, term in chinese_calendar.get_solar_terms(date(year, month, 1), date(year, month, 28))
        if term == name
    )


@lru_cache(maxsize=8)
def seasons_of(year: int) -> list[Season]:
    out = []
    for s in config()["seasons"]:
        term_day = solar_term(s["term"], year)
        out.append(
            Season(
                s["name"],
                term_day,
                term_day - timedelta(days=s["days_before"]),
                term_day + timedelta(days=s["days_after"]),
            )
        )
    return out


def season_of(day: date) -> Season | None:
    return next((s for s in seasons_of(day.year) if s.first <= day <= s.last), None)


def upcoming(today: date) -> Season:
    """The season under way, else the next one."""
    candidates = seasons_of(today.year) + seasons_of(today.year + 1)
    return next(s for s in sorted(candidates, key=lambda s: s.first) if s.last >= today)


def openings(sess: Session, days: list[date]) -> dict[date, datetime]:
    """When booking each of ``days`` opens (one query): the time staff announced, else ``opening`` in the seed (a
    season's days all open at once, ``days_before_season`` days before its first day, as the bureau announces)."""
    announced = dict(
        sess.execute(select(CemeteryOpening.day, CemeteryOpening.opens_at).where(CemeteryOpening.day.in_(days))).all()
    )
    return {day: announced.get(day) or default_opening(day) for day in days}


def opens_at(sess: Session, day: date) -> datetime:
    return openings(sess, [day])[day]


def default_opening(day: date) -> datetime:
    rule = config()["opening"]
    hour, minute = (int(x) for x in rule["at"].split(":"))
    season = season_of(day)
    first = season.first if season else day
    return datetime.combine(first - timedelta(days=rule["days_before_season"]), time(hour, minute))


def moment_label(moment: datetime) -> str:
    return f"{chinese_date(moment.date())}{moment:%H:%M}"
