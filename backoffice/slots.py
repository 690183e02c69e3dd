"""A day's time slots and their places, for every domain that books them (marriage registration offices,
cemetery gates).

A slot's row (``MarriageSlot``, ``CemeterySlot``: its owner's code — an office, a gate —, ``day``, ``start``,
``end``, ``capacity``, ``booked``) is made on the slot's first booking. ``booked`` moves only by one conditional
UPDATE that matches while the places fit (row-locked in PostgreSQL, serialised by the write lock in SQLite), so
concurrent requests can never leave more booked than the capacity; the tables' CHECK constraint backs it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


@dataclass(frozen=True)
class Slot:
    """One slot's row: the row of ``model`` whose ``owner`` column (``office_code``, ``gate_code``) is ``code``,
    on ``day`` at ``start``."""

    model: type
    owner: str
    code: str
    day: date
    start: str

    def matches(self) -> tuple[Any, ...]:
        model = self.model
        return getattr(model, self.owner) == self.code, model.day == self.day, model.start == self.start


def _insert(sess: Session, model: type) -> postgresql.Insert | sqlite.Insert:
    """An INSERT that can say ON CONFLICT DO NOTHING (both databases speak it)."""
    return (postgresql.insert if sess.get_bind().dialect.name == "postgresql" else sqlite.insert)(model)


def ensure(sess: Session, slot: Slot, end: str, capacity: int) -> None:
    """Make the slot's row with ``capacity`` places and none booked, unless it is there (it keeps its own)."""
    sess.execute(
        _insert(sess, slot.model)
        .values(
            {slot.owner: slot.code, "day": slot.day, "start": slot.start, "end": end, "capacity": capacity, "booked": 0}
        )
        .on_conflict_do_nothing(index_elements=[slot.owner, "day", "start"])
    )


def take(sess: Session, slot: Slot, people: int = 1) -> bool:
    """Take ``people`` places atomically (the row must exist: :func:`ensure`); False when they do not fit, and
    nothing changed: the UPDATE matches only while they fit, so the last places go to exactly one request."""
    model = slot.model
    return (
        sess.execute(
            update(model)
            .where(*slot.matches(), model.booked + people <= model.capacity)
            .values(booked=model.booked + people)
            .execution_options(synchronize_session=False)
        ).rowcount
        == 1
    )


def give_back(sess: Session, slot: Slot, people: int = 1) -> None:
    """Free ``people`` places of the slot (a cancelled or moved booking); never below none booked."""
    model = slot.model
    sess.execute(
        update(model)
        .where(*slot.matches(), model.booked >= people)
        .values(booked=model.booked - people)
        .execution_options(synchronize_session=False)
    )


def places(timetable_slot: dict, row: Any | None, capacity: int) -> dict:
    """A timetable slot as the availability answers show it: its places from its row, else ``capacity`` all free."""
    if row is not None:
        capacity = row.capacity
    return {
        "start": timetable_slot["start"],
        "end": timetable_slot["end"],
        "capacity": capacity,
        "free": capacity - (row.booked if row is not None else 0),
    }
