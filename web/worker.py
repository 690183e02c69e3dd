"""The Celery app: pushes and slow outbound work run here, on Redis as the broker.

Nothing is read at import time. The broker's settings are read when the app is first
configured: the worker's or beat's start (``python -m web.worker_main``, ``celery --app
web.worker beat``), or the first task a web process sends. The tasks take what they talk
to from :func:`services`, built once per worker process (web/services.py).
"""

from __future__ import annotations

import os
import threading
from typing import Any

from celery import Celery
from celery.schedules import crontab

from common import settings
from web.services import SECRETS, Services

celery_app = Celery("civic")
celery_app.conf.update(
    task_acks_late=True,  # a task whose worker dies is redelivered, not lost
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    task_serializer="json",
    accept_content=["json"],
    timezone="Asia/Shanghai",
    broker_connection_retry_on_startup=True,
    beat_schedule={  # the `beat` process
        "retention": {"task": "retention.purge", "schedule": crontab(hour=3, minute=30)},
        "owed_replies": {"task": "wechat.owed_replies", "schedule": 60.0},
        "requeue_unsent": {"task": "wechat.requeue_unsent", "schedule": 60.0},
        "child_protection_sweep": {"task": "child_protection.sweep", "schedule": 60.0},
        "oncall_sweep": {"task": "oncall.sweep", "schedule": 30.0},  # on-call alerts whose task was lost
        "handoff_closing": {"task": "handoff.closing", "schedule": 60.0},  # danger still waiting at closing time
        "status_updates": {"task": "status_updates.read", "schedule": 20.0},  # the back-office's change feed
        "policy_recur": {"task": "policy.recur", "schedule": 600.0},  # monthly campaigns' next runs
    },
)


@celery_app.on_configure.connect
def _configure(sender: Celery, **_: Any) -> None:
    config = settings.load()
    settings.require_secrets(config, *SECRETS)  # at the worker's and beat's start, not at a first task
    sender.conf.update(
        broker_url=config.redis_url,
        result_backend=config.redis_url,
        # a dead worker's task comes back after this
        broker_transport_options={"visibility_timeout": config.celery_visibility_timeout},
    )


_services: tuple[int, Services] | None = None
_building = threading.Lock()


def services() -> Services:
    """This worker process's services, built from its settings on first use. A pool process
    forked from the main one builds its own (connections are never shared across a fork)."""
    global _services
    with _building:
        if _services is None or _services[0] != os.getpid():
            built = Services.build(settings.load())
            # What a task changes at the desk (the closing check, web/handoff/tasks.py) is announced to
            # the console and its on-call alerts are queued once it commits, as create_app does in web.
            built.desk_events.install(built.database.sessions)
            built.alert_queue.install(built.database.sessions)
            _services = (os.getpid(), built)
        return _services[1]


from web import worker_metrics  # noqa: E402,F401  (connects the task and metrics signals)

celery_app.autodiscover_tasks(
    [
        "web",
        "web.retention",
        "web.assistance",
        "web.policy",
        "web.handoff",
        "web.handoff.child_protection",
        "web.oncall",
        "web.status_updates",
        "web.subscriptions",
    ],
    related_name="tasks",
    force=True,
)
