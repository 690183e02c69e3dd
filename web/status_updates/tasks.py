"""Celery task of the status updates (the app is ``web.worker``): ``status_updates.read`` runs on
beat every 20 s and tells residents what changed in the back-office (web/status_updates/reader.py)."""

from __future__ import annotations

from web.notify import Notifier
from web.status_updates import reader
from web.workdays import utcnow
from web.worker import celery_app, services


@celery_app.task(name="status_updates.read")
def read_changes() -> int:
    built = services()
    return reader.read_once(built.database.sessions, built.backoffice, Notifier(built.outbound, built.redis), utcnow)
