"""The desk's settings (desk.yml) and its working hours (the ``working_hours`` table)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from functools import lru_cache
from pathlib import Path

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from web.handoff.models import WorkingHours
from web.workdays import DAY_NAMES, DAYS, LOCAL, day_kind, to_local  # one calendar with the on-call rota
from web.workdays import utcnow as utcnow  # the desk's clock, as its callers know it


@dataclass(frozen=True)
class Flow:
    intent: str
    label: str
    entities: tuple[str, ...]


@dataclass(frozen=True)
class DeskConfig:
    sla_minutes: dict[str, int]
    minutes_per_resident: int
    remind_after_minutes: int
    outcomes: dict[str, str]
    flows: tuple[Flow, ...]
    texts: dict[str, str]
    leave_words: tuple[str, ...]

    def flow(self, intent: str) -> Flow | None:
        return next((f for f in self.flows if f.intent == intent), None)


@lru_cache(maxsize=1)
def desk() -> DeskConfig:
    data = yaml.safe_load((Path(__file__).with_name("desk.yml")).read_text(encoding="utf-8"))
    return DeskConfig(
        sla_minutes={k: int(v) for k, v in data["sla_minutes"].items()},
        minutes_per_resident=int(data["minutes_per_resident"]),
        remind_after_minutes=int(data["remind_after_minutes"]),
        outcomes=dict(data["outcomes"]),
        flows=tuple(Flow(f["intent"], f["label"], tuple(f.get("entities") or ())) for f in data["flows"]),
        texts=dict(data["texts"]),
        leave_words=tuple(data["leave_words"]),
    )


def _parse(hhmm: str) -> timedelta:
    hours, minutes = hhmm.split(":")
    return timedelta(hours=int(hours), minutes=int(minutes))


def hours_table(sess: Session) -> dict[str, WorkingHours]:
    return {row.day: row for row in sess.scalars(select(WorkingHours))}


def is_open(sess: Session, now_utc: datetime) -> bool:
    return open_at(hours_table(sess), to_local(now_utc))


def opening(sess: Session) -> Callable[[datetime], bool]:
    """Whether the desk is open at a local moment, by the working hours as they are now (one query)."""
    table = hours_table(sess)
    return lambda local: open_at(table, local)


def open_at(table: dict[str, WorkingHours], local: datetime) -> bool:
    """Is the desk open at the local moment ``local``, by the working hours ``table``?"""
    row = table.get(day_kind(local.date()))
    if row is None:
        return False
    since_midnight = local - datetime.combine(local.date(), time(), LOCAL)
    return _parse(row.opens) <= since_midnight < _parse(row.closes)


def describe_hours(sess: Session) -> str:
    """e.g. "周一至周五 09:00-17:00" for the resident; consecutive days with the same hours are joined."""
    table = hours_table(sess)
    parts: list[str] = []
    run: list[str] = []
    for day in DAYS + ("",):
        row = table.get(day)
        if run and (row is None or (row.opens, row.closes) != (table[run[0]].opens, table[run[0]].closes)):
            first, last = DAY_NAMES[run[0]], DAY_NAMES[run[-1]]
            span = first if len(run) == 1 else f"{first}至{last}"
            parts.append(f"{span} {table[run[0]].opens}-{table[run[0]].closes}")
            run = []
        if row is not None:
            run.append(day)
    if "holiday" not in table:
        parts.append("法定节假日休息")
    return "，".join(parts) or "暂未安排"
