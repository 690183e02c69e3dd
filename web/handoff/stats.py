"""Figures for the supervisor: queue length, waiting times, handled per agent, SLA breaches."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from web.handoff import config
from web.handoff.models import Agent, Ticket
from web.handoff.queue import sla_breached


@dataclass(frozen=True)
class HourBar:
    label: str  # "14时"
    queued: int
    breached: int


@dataclass(frozen=True)
class DeskFigures:
    waiting: int
    urgent_waiting: int
    longest_wait_minutes: int
    average_wait_minutes: int
    active: int
    handled_today: dict[str, int] = field(default_factory=dict)  # agent name -> closed today
    breaches_today: int = 0
    average_first_response_minutes: int = 0
    hours: list[HourBar] = field(default_factory=list)


def _minutes(delta: timedelta) -> int:
    return int(delta.total_seconds() // 60)


def start_of_local_day(now_utc: datetime) -> datetime:
    local_midnight = datetime.combine(config.to_local(now_utc).date(), time(), config.LOCAL)
    return local_midnight.astimezone(timezone.utc).replace(tzinfo=None)


def figures(sess: Session, now: datetime, hours_back: int = 12) -> DeskFigures:
    since = min(start_of_local_day(now), now - timedelta(hours=hours_back))
    tickets = list(sess.scalars(select(Ticket).where((Ticket.queued_at >= since) | (Ticket.status != "closed"))))
    waiting = [t for t in tickets if t.status == "waiting"]
    waits = [_minutes(now - t.queued_at) for t in waiting]
    day_start = start_of_local_day(now)
    names = {a.id: a.display_name for a in sess.scalars(select(Agent))}
    handled = Counter(
        names.get(t.agent_id or t.closed_by_id, "—")
        for t in tickets
        if t.status == "closed" and t.closed_at and t.closed_at >= day_start
    )
    today = [t for t in tickets if t.queued_at >= day_start]
    responses = [_minutes(t.claimed_at - t.queued_at) for t in today if t.claimed_at]
    first_hour = (now - timedelta(hours=hours_back - 1)).replace(minute=0, second=0, microsecond=0)
    bars = []
    for i in range(hours_back):
        start = first_hour + timedelta(hours=i)
        in_hour = [t for t in tickets if start <= t.queued_at < start + timedelta(hours=1)]
        bars.append(
            HourBar(f"{config.to_local(start).hour}时", len(in_hour), sum(sla_breached(t, now) for t in in_hour))
        )
    return DeskFigures(
        waiting=len(waiting),
        urgent_waiting=sum(t.priority == "urgent" for t in waiting),
        longest_wait_minutes=max(waits, default=0),
        average_wait_minutes=sum(waits) // len(waits) if waits else 0,
        active=sum(t.status == "active" for t in tickets),
        handled_today=dict(handled.most_common()),
        breaches_today=sum(sla_breached(t, now) for t in today),
        average_first_response_minutes=sum(responses) // len(responses) if responses else 0,
        hours=bars,
    )
