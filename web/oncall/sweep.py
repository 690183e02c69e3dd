"""Alerts whose sending task is gone: queued again by Celery beat every 30 seconds
(``oncall.sweep``) and when a worker starts.

An alert is overdue when its next call was due more than ``GRACE`` ago: Redis was down when it
was raised, the broker lost its task or a retry, or a worker died in the middle of a call (its
claim, web/oncall/delivery.py, has run out). The task's claim keeps a copy that was only slow
from calling twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from web.oncall.alerting import DELIVER, Enqueue
from web.oncall.models import ACTIVE, OncallAlert

GRACE = timedelta(seconds=20)


def requeue_overdue(sessions: sessionmaker, enqueue: Enqueue, now: datetime, grace: timedelta = GRACE) -> int:
    """Queue the delivery task of every alert left unsent; returns how many."""
    with sessions() as sess:
        ids = sess.scalars(
            select(OncallAlert.id).where(
                OncallAlert.status.in_(ACTIVE),
                OncallAlert.next_attempt_at.is_not(None),
                OncallAlert.next_attempt_at < now - grace,
            )
        ).all()
    for alert_id in ids:
        enqueue(DELIVER, [alert_id])
    return len(ids)
