"""The daily retention task (scheduled by Celery beat, see web/worker.py)."""

from __future__ import annotations

from web.retention.purge import AUDIT, PERSONAL, cutoff_for, purge
from web.worker import celery_app, services


@celery_app.task(name="retention.purge")
def purge_expired() -> dict[str, int]:
    config = services().config
    with services().database.sessions.begin() as sess:
        return purge(
            sess, {PERSONAL: cutoff_for(config.retention_days), AUDIT: cutoff_for(config.audit_retention_days)}
        )
