"""Made-up people with checksum-valid ID numbers, for the marriage tests."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, timedelta

from backoffice.marriage import calendar
from backoffice.seed.people import make_id_number

_seq = itertools.count(100)


@dataclass(frozen=True)
class Person:
    name: str
    id_number: str

    def as_party(self) -> dict[str, str]:
        return {"name": self.name, "id_number": self.id_number}


def person(gender: str, age: int, name: str | None = None, born_days_later: int = 0) -> Person:
    """A made-up resident with a checksum-valid ID, ``age`` years old today (plus ``born_days_later`` days younger)."""
    today, n = calendar.today(), next(_seq)
    # make_id_number's sequence repeats every 500 people: older by a day per 500 keeps every ID distinct
    birth = date(today.year - age, today.month, min(today.day, 28)) + timedelta(days=born_days_later - n // 500)
    return Person(name or ("张" + ("伟" if gender == "男" else "丽")), make_id_number("310107", birth, n, gender))


def couple() -> tuple[Person, Person]:
    return person("男", 30, "王建国"), person("女", 28, "李秀英")
