"""Celery tasks of the desk (the app is ``web.worker``): the check at closing time.

``handoff.closing`` runs on Celery beat every minute (web/worker.py): a danger ticket still waiting
when the desk closes is sent to the on-call worker and its resident told who will call
(web/handoff/closing.py).
"""

from __future__ import annotations

from web.handoff import closing
from web.workdays import utcnow
from web.worker import celery_app, services


@celery_app.task(name="handoff.closing")
def carry_over_at_closing() -> int:
    built = services()
    return closing.carry_over(built.database.sessions, built.outbound, utcnow())
