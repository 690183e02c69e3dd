"""Every analytics figure, as SQL over ``analytics_event`` (docs/analytics.md defines each one).

A *conversation* here is one resident's exchanges on one calendar day (the
``conversation_started`` event marks its first message). Filters: a date range
(inclusive) and a district (conversations in which the bot learnt that district).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, case, distinct, func, select
from sqlalchemy.orm import Session, aliased

from web.analytics.models import AnalyticsEvent as E
from web.feedback.models import LEVELS

FLOW_EVENTS = ("flow_started", "flow_completed", "flow_abandoned")


@dataclass(frozen=True)
class Filters:
    start: date
    end: date  # inclusive
    district: str | None = None

    def days(self) -> list[str]:
        return [(self.start + timedelta(days=i)).isoformat() for i in range((self.end - self.start).days + 1)]


def _day():
    return func.date(E.at)


def _where(f: Filters, *kinds: str) -> list[Any]:
    conditions = [
        E.at >= datetime.combine(f.start, datetime.min.time()),
        E.at < datetime.combine(f.end + timedelta(days=1), datetime.min.time()),
        E.kind.in_(kinds),
    ]
    if f.district:
        d = aliased(E)
        conditions.append(E.conversation_id.in_(select(d.conversation_id).where(d.district == f.district)))
    return conditions


def _rows(sess: Session, query: Select) -> list[tuple]:
    return [tuple(r) for r in sess.execute(query).all()]


def conversations_per_day(sess: Session, f: Filters) -> list[tuple[str, int]]:
    counts = {
        str(day): n
        for day, n in _rows(
            sess, select(_day(), func.count()).where(*_where(f, "conversation_started")).group_by(_day())
        )
    }
    return [(day, counts.get(day, 0)) for day in f.days()]


def _conversation_days(sess: Session, f: Filters, kind: str) -> int:
    days = select(E.conversation_id, _day().label("day")).where(*_where(f, kind)).distinct().subquery()
    return sess.scalar(select(func.count()).select_from(days)) or 0


def containment(sess: Session, f: Filters) -> dict[str, Any]:
    """Conversations that ended without a human: no handoff was asked for that day."""
    total = _conversation_days(sess, f, "conversation_started")
    handed = _conversation_days(sess, f, "handoff_requested")
    contained = max(total - handed, 0)
    return {
        "conversations": total,
        "handed_over": handed,
        "contained": contained,
        "containment_rate": _rate(contained, total),
        "handoff_rate": _rate(handed, total),
    }


def handoff_reasons(sess: Session, f: Filters) -> list[tuple[str, int]]:
    reason = func.coalesce(E.reason, "unknown")
    return _rows(
        sess,
        select(reason, func.count())
        .where(*_where(f, "handoff_requested"))
        .group_by(reason)
        .order_by(func.count().desc(), reason),
    )


def fallback(sess: Session, f: Filters) -> dict[str, Any]:
    """Resident messages the bot answered with its fallback, of all messages the bot understood something of."""
    total, fell = sess.execute(
        select(func.count(), func.coalesce(func.sum(case((E.fallback, 1), else_=0)), 0)).where(*_where(f, "message_in"))
    ).one()
    return {"messages": total, "fallbacks": int(fell), "fallback_rate": _rate(int(fell), total)}


def top_intents(sess: Session, f: Filters, limit: int = 10) -> list[tuple[str, int, float]]:
    rows = _rows(
        sess,
        select(E.intent, func.count(), func.avg(E.confidence))
        .where(*_where(f, "message_in"), E.intent.is_not(None))
        .group_by(E.intent)
        .order_by(func.count().desc(), E.intent)
        .limit(limit),
    )
    return [(intent, n, round(float(conf or 0), 3)) for intent, n, conf in rows]


def task_completion(sess: Session, f: Filters) -> list[dict[str, Any]]:
    """Per flow: started → completed / abandoned, and how many were asked each step (where residents drop out)."""
    counts: dict[str, dict[str, int]] = {}
    for flow, kind, n in _rows(
        sess,
        select(E.flow, E.kind, func.count())
        .where(*_where(f, *FLOW_EVENTS), E.flow.is_not(None))
        .group_by(E.flow, E.kind),
    ):
        counts.setdefault(flow, {k: 0 for k in FLOW_EVENTS})[kind] = n
    steps: dict[str, list[tuple[str, int]]] = {}
    for flow, step, n in _rows(
        sess,
        select(E.flow, E.step, func.count(distinct(E.conversation_id)))
        .where(*_where(f, "message_in"), E.flow.is_not(None), E.step.is_not(None))
        .group_by(E.flow, E.step)
        .order_by(E.flow, func.count(distinct(E.conversation_id)).desc(), E.step),
    ):
        steps.setdefault(flow, []).append((step, n))
    out = []
    for flow in sorted(counts):
        c = counts[flow]
        started, completed, abandoned = c["flow_started"], c["flow_completed"], c["flow_abandoned"]
        out.append(
            {
                "flow": flow,
                "started": started,
                "completed": completed,
                "abandoned": abandoned,
                "unfinished": max(started - completed - abandoned, 0),
                "completion_rate": _rate(completed, started),
                "steps": steps.get(flow, []),
            }
        )
    return out


def ratings(sess: Session, f: Filters) -> list[tuple[str, int]]:
    """好差评 distribution, best level first (every level listed, zero included)."""
    counts = dict(_rows(sess, select(E.value, func.count()).where(*_where(f, "rating")).group_by(E.value)))
    return [(label, counts.get(level, 0)) for level, label in LEVELS.items()]


def first_agent_reply_seconds(sess: Session, f: Filters) -> list[float]:
    """For each handoff asked for: seconds until an agent's first message in that conversation."""
    a = aliased(E)
    first = (
        select(func.min(a.at))
        .where(a.kind == "agent_message", a.conversation_id == E.conversation_id, a.at >= E.at)
        .scalar_subquery()
    )
    rows = _rows(sess, select(E.at, first).where(*_where(f, "handoff_requested")))
    return sorted(
        (_as_datetime(reply) - _as_datetime(asked)).total_seconds() for asked, reply in rows if reply is not None
    )


def median_first_agent_reply(sess: Session, f: Filters) -> float | None:
    waits = first_agent_reply_seconds(sess, f)
    return statistics.median(waits) if waits else None


def districts(sess: Session) -> list[str]:
    return list(sess.scalars(select(E.district).where(E.district.is_not(None)).distinct().order_by(E.district)))


def summary(sess: Session, f: Filters) -> dict[str, Any]:
    return {
        "conversations_per_day": conversations_per_day(sess, f),
        "containment": containment(sess, f),
        "fallback": fallback(sess, f),
        "handoff_reasons": handoff_reasons(sess, f),
        "task_completion": task_completion(sess, f),
        "ratings": ratings(sess, f),
        "top_intents": top_intents(sess, f),
        "median_first_agent_reply_seconds": median_first_agent_reply(sess, f),
    }


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _as_datetime(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
