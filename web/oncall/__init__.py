"""The on-call route after hours (docs/handoff.md, "After hours: the on-call route").

An urgent case outside working hours is sent at once to whoever is on call, through an
SMS/voice gateway, and the resident is told who will phone and when, never "tomorrow".

- ``models``: the rota (workers, weekly shifts, the escalation list) and the alerts;
- ``rota``: who is on call at a moment, and whom to try after them;
- ``alerting``: :func:`alert`, what the desk calls; :class:`AlertQueue` queues the sending task
  once the desk's transaction commits;
- ``gateway``: the gateway's client (one call, no retries inside);
- ``delivery``: one attempt of the sending task (retries, escalation, failure); ``tasks`` and
  ``sweep`` are its Celery side;
- ``status``: what the agent console shows of an alert; ``admin``: ``/admin/oncall``; ``coverage``:
  the times of the coming week when the desk is closed and nobody is on call;
- ``demo``: the demo rota ``make run`` writes; ``config``: oncall.yml.

This package sits below the desk (web/handoff calls it) and imports nothing of it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from flask import Flask
from sqlalchemy.orm import Session, sessionmaker

from common.db import session as db_session
from web.oncall import status
from web.oncall.alerting import AlertQueue, alert
from web.workdays import utcnow

__all__ = ["AlertQueue", "alert", "init_app"]


def init_app(
    app: Flask,
    alert_queue: AlertQueue,
    sessions: sessionmaker,
    desk_hours: Callable[[Session], Callable[[datetime], bool]],
) -> None:
    """Alerts written on ``sessions`` are queued after their commit; the console's templates get
    ``oncall_alerts(tickets)`` (ticket id → the state of its latest alert); ``desk_hours`` gives, for a
    session, whether the desk is open at a local moment (the rota page's gaps: ``coverage``)."""
    alert_queue.install(sessions)
    app.extensions["oncall_desk_hours"] = desk_hours
    app.add_template_global(_alerts_of, "oncall_alerts")


def _alerts_of(tickets: Iterable[Any]) -> dict[int, status.AlertState]:
    return status.latest(db_session(), (t.id for t in tickets if t is not None), utcnow())
