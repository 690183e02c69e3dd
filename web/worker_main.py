"""The Celery worker's entry point (the Procfile's ``worker``): metrics first, then Celery's CLI.

Prometheus multiprocess mode must be chosen before prometheus_client is imported, and a
directory left by an earlier run would add its counts to this one's, so every start gets
a fresh directory (under ``PROMETHEUS_MULTIPROC_BASE`` when set), as gunicorn.conf.py
does for the HTTP processes.
"""

import os
import sys
import tempfile

os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(
    prefix="prometheus-worker-", dir=os.environ.get("PROMETHEUS_MULTIPROC_BASE") or None
)

from web.worker import celery_app  # noqa: E402  (after the metrics directory is chosen)

if __name__ == "__main__":
    celery_app.worker_main(["worker", *sys.argv[1:]])
