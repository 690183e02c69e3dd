"""Celery tasks: sending child-protection referrals to the back-office until it takes them.

``child_protection.deliver`` is queued after the desk's commit (referral.py) and retries with backoff while
the back-office is unreachable; ``child_protection.sweep`` runs on Celery beat every minute (web/worker.py)
and queues again what nothing is sending (delivery.py: ``stalled``).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from web.handoff.child_protection import delivery
from web.worker import celery_app, services

log = logging.getLogger(__name__)

RETRIES = 5
BACKOFF_BASE = 2  # seconds: 2, 4, 8, 16, 32; after that the sweep takes over


def backoff(retries: int) -> int:
    return BACKOFF_BASE * 2**retries


@celery_app.task(name="child_protection.deliver", bind=True, max_retries=RETRIES)
def deliver(self, referral_id: str) -> str:
    built = services()
    outcome = delivery.deliver(built.database.sessions, built.backoffice, built.config.public_base_url, referral_id)
    if outcome is delivery.Outcome.UNAVAILABLE and self.request.retries < self.max_retries:
        raise self.retry(countdown=backoff(self.request.retries))
    return outcome.value


@celery_app.task(name="child_protection.sweep")
def sweep(stalled_after_seconds: float | None = None) -> int:
    """Queue again every pending referral nothing is sending; returns how many. ``stalled_after_seconds``
    overrides ``delivery.STALLED_AFTER`` (a test sending the sweep by hand)."""
    after = delivery.STALLED_AFTER if stalled_after_seconds is None else timedelta(seconds=stalled_after_seconds)
    ids = delivery.stalled(services().database.sessions, after)
    for referral_id in ids:
        deliver.delay(referral_id)
    if ids:
        log.info("pending child protection referrals queued again", extra={"count": len(ids)})
    return len(ids)
