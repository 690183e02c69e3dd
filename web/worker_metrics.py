"""The Celery worker's Prometheus metrics: ``GET /metrics`` on ``WORKER_METRICS_PORT``.

The worker forks a pool of processes, each with its own counters, so the worker runs in
Prometheus multiprocess mode: ``python -m web.worker_main`` gives it a fresh
``PROMETHEUS_MULTIPROC_DIR`` before anything imports prometheus_client, and the main
process serves the sum of every pool process's files. Recorded here: tasks run (by task
and outcome) and their duration; the pushes themselves (``outbound_pushes_total``) are
counted where they are sent (web/outbound/wechat_sender.py).
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any

from celery import signals
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, start_http_server

log = logging.getLogger(__name__)

TASKS = Counter("celery_tasks_total", "Celery tasks finished", ["task", "outcome"])
TASK_SECONDS = Histogram(
    "celery_task_duration_seconds",
    "Time a Celery task ran",
    ["task"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 15, 60, 300, 1800),
)
_started: dict[str, float] = {}


@signals.task_prerun.connect
def _task_started(task_id: str | None = None, **_: Any) -> None:
    if task_id:
        _started[task_id] = time.perf_counter()


@signals.task_postrun.connect
def _task_finished(task_id: str | None = None, task: Any = None, state: str | None = None, **_: Any) -> None:
    started = _started.pop(task_id or "", None)
    name = getattr(task, "name", "unknown")
    TASKS.labels(name, (state or "unknown").lower()).inc()
    if started is not None:
        TASK_SECONDS.labels(name).observe(time.perf_counter() - started)


@signals.worker_ready.connect
def _serve(**_: Any) -> None:
    port = os.environ.get("WORKER_METRICS_PORT")
    if not port:
        return
    registry = REGISTRY  # a solo/threads pool in one process: its own registry is the whole worker
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    try:
        start_http_server(int(port), addr=os.environ.get("BIND_HOST", "127.0.0.1"), registry=registry)
    except OSError as exc:  # e.g. a second worker on the same host and port: it works, unscraped
        log.warning("worker metrics not served", extra={"port": port, "error": str(exc)})
        return
    log.info("worker metrics served", extra={"port": port})


@signals.worker_process_shutdown.connect
def _pool_process_gone(pid: int | None = None, **_: Any) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid or os.getpid())
