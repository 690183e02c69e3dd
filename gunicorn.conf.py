"""Read by every gunicorn master the Procfile starts (gunicorn loads ./gunicorn.conf.py).

Prometheus multiprocess mode: each master gets its own fresh metrics directory
(under ``PROMETHEUS_MULTIPROC_BASE`` when set, else the system's temp directory), so ``/metrics`` sums all workers of
one process and web, actions and back-office never mix their files. Gunicorn's own log lines
(errors, the access log) are masked like every other line.
"""

import os
import tempfile

_base = os.environ.get("PROMETHEUS_MULTIPROC_BASE") or None
os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="prometheus-", dir=_base)


def when_ready(_server) -> None:
    from common.logging_setup import mask_gunicorn_logs

    mask_gunicorn_logs()  # the master's lines


def post_worker_init(_worker) -> None:
    from common.logging_setup import mask_gunicorn_logs

    mask_gunicorn_logs()  # each worker's access and error lines (docs/security.md, rule 1)


def child_exit(_server, worker) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
