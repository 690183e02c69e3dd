"""The daily retention task (scheduled by Celery beat, see web/worker.py)."""
from __future__ import annotations

from common import settings
from common.db import make_engine
from sqlalchemy.orm import sessionmaker

from web.retention.purge import AUDIT, PERSONAL, cutoff_for, purge
from web.worker import celery_app


@celery_app.task(name="retention.purge")
def purge_expired() -> dict[str, int]:
    config = settings.load()
    engine = make_engine(config.database_url)
    try:
        with sessionmaker(engine).begin() as sess:
            return purge(sess, {PERSONAL: cutoff_for(config.retention_days), AUDIT: cutoff_for(config.audit_retention_days)})
    finally:
        engine.dispose()
