"""Celery tasks (the app is ``web.worker``): sending on-call alerts, and the sweep behind them.

The task does what the delivery says (web/oncall/delivery.py): call the gateway again after so
many seconds, or stop. The retries are the task's own (``self.retry``), so a worker's slot is
not held while it waits.
"""

from __future__ import annotations

import logging

from celery.signals import worker_ready

from web.oncall import sweep
from web.workdays import utcnow
from web.worker import celery_app, services

log = logging.getLogger(__name__)


@celery_app.task(name="oncall.deliver", bind=True, max_retries=None)
def deliver(self, alert_id: int) -> None:
    wait = services().oncall_delivery.attempt(alert_id)
    if wait is not None:
        raise self.retry(countdown=wait)


@celery_app.task(name="oncall.sweep")
def requeue_overdue() -> int:
    """Alerts whose task was lost are queued again (web/oncall/sweep.py)."""
    return sweep.requeue_overdue(services().database.sessions, services().outbound.enqueue, utcnow())


@worker_ready.connect
def _sweep_on_start(**_kwargs) -> None:
    try:
        queued = sweep.requeue_overdue(services().database.sessions, services().outbound.enqueue, utcnow())
    except Exception:  # the database is not reachable yet: beat's sweep catches up
        log.exception("on-call sweep at worker start failed")
        return
    if queued:
        log.info("overdue on-call alerts queued", extra={"count": queued})
