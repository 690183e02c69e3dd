"""The Celery app: pushes and slow outbound work run here, on Redis as the broker."""
from __future__ import annotations

from celery import Celery

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
)
celery_app.autodiscover_tasks(["web"], related_name="tasks", force=True)
