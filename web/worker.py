"""The Celery app: pushes and slow outbound work run here, on Redis as the broker."""
from __future__ import annotations

from celery import Celery
from celery.schedules import crontab

from common import settings

_config = settings.load()

celery_app = Celery("civic", broker=_config.redis_url, backend=_config.redis_url)
celery_app.conf.update(
    task_acks_late=True,  # a task whose worker dies is redelivered, not lost
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    task_serializer="json",
    accept_content=["json"],
    timezone="Asia/Shanghai",
    broker_connection_retry_on_startup=True,
    broker_transport_options={"visibility_timeout": _config.celery_visibility_timeout},  # a dead worker's task comes back after this
    beat_schedule={  # the `beat` process
        "retention": {"task": "retention.purge", "schedule": crontab(hour=3, minute=30)},
        "owed_replies": {"task": "wechat.owed_replies", "schedule": 60.0},
        "requeue_unsent": {"task": "wechat.requeue_unsent", "schedule": 60.0},
    },
)
from web import worker_metrics  # noqa: E402,F401  (connects the task and metrics signals)

celery_app.autodiscover_tasks(["web", "web.retention", "web.assistance", "web.policy"], related_name="tasks", force=True)
