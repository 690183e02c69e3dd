"""The daily retention task (scheduled by Celery beat, see web/worker.py)."""

from __future__ import annotations

from web.documents import retention as documents
from web.retention.purge import AUDIT, PERSONAL, cutoff_for, purge
from web.worker import celery_app, services


@celery_app.task(name="retention.purge")
def purge_expired() -> dict[str, int]:
    config = services().config
    with services().database.sessions.begin() as sess:
        done = purge(
            sess, {PERSONAL: cutoff_for(config.retention_days), AUDIT: cutoff_for(config.audit_retention_days)}
        )
        done["documents"] = documents.purge(sess, services().document_store, cutoff_for(config.retention_days))
        return done
