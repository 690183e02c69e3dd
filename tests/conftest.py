"""Shared fixtures: real Redis and PostgreSQL (and SQLite), and the real stack on loopback ports.

The servers are the ones at TEST_DATABASE_URL / TEST_REDIS_URL, or embedded ones started for
the session when those do not answer (tests/backing_services.py): no test is skipped for want
of a database or a cache on any machine.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from common import migrate
from common.db import make_engine, normalise_url
from tests import backing_services, log_check, migrated
from tests.serving import base_url, serve
from tools import stack, train
from tools.wechat_standin import WechatStandin

_services: backing_services.BackingServices | None = None
migrated.install()  # before any test module imports common.migrate.upgrade


def pytest_configure(config) -> None:
    """Settle the servers before any test module reads TEST_REDIS_URL / TEST_DATABASE_URL."""
    global _services
    config.pluginmanager.register(log_check.CHECK, "log_check")  # no log line shows personal data
    log_check.CHECK.install()
    _services = backing_services.start()
    # Every test client is 127.0.0.1: the web chat's per-address limit (web/channels/ratelimit.py)
    # would count the whole suite as one resident. Its own tests set it (tests/wechat/test_web_chat_limits.py).
    os.environ.setdefault("WEB_CHAT_ADDRESS_LIMIT", "0")
    # The suite's apps and processes run with the development secrets (common/settings.py);
    # tests/test_deployment.py checks that they refuse them without this flag.
    os.environ.setdefault("CIVIC_DEV", "1")
    # The identity provider stand-in's key, for every back-office the suite starts (in-process or
    # as a process), so that none writes the development key into var/.
    from joserfc.jwk import RSAKey

    os.environ.setdefault("IDP_SIGNING_KEY", RSAKey.generate_key(2048).as_pem(private=True).decode())
    for what in _services.embedded:
        config.issue_config_time_warning(pytest.PytestConfigWarning(f"started an embedded {what}"), stacklevel=2)


def pytest_unconfigure(config) -> None:
    migrated.remove()
    if _services is not None:
        _services.stop()


def _test_pg_url() -> str:
    return os.environ["TEST_DATABASE_URL"]


def _test_redis_url() -> str:
    return os.environ["TEST_REDIS_URL"]


class PostgresDatabases:
    """Creates throw-away databases on the test server and drops them afterwards."""

    def __init__(self, server_url: str) -> None:
        self.server_url = normalise_url(server_url)
        self.admin = create_engine(self.server_url, isolation_level="AUTOCOMMIT")
        self.created: list[str] = []

    def create(self, prefix: str) -> str:
        name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        self.created.append(name)
        return make_url(self.server_url).set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        with self.admin.connect() as conn:
            for name in self.created:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self.admin.dispose()


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresDatabases]:
    dbs = PostgresDatabases(_test_pg_url())
    yield dbs
    dbs.drop_all()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path) -> str:
    """A fresh, empty database URL: once SQLite, once PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.db'}"
    return request.getfixturevalue("postgres").create("civic_t")


@pytest.fixture(scope="session")
def redis_url() -> str:
    return _test_redis_url()


@pytest.fixture
def redis_client(redis_url) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    yield client
    client.flushdb()


def seeded_backoffice(tmp_path_factory, name: str) -> str:
    """A new SQLite back-office database with the demo region (modules that write make their own)."""
    from backoffice.seed.load import seed

    url = f"sqlite:///{tmp_path_factory.mktemp(name) / 'backoffice.db'}"
    migrate.upgrade("backoffice", url)
    seed(make_engine(url))
    return url


def backoffice_test_client(url: str, token: str, monkeypatch):
    """The back-office Flask app in-process on ``url``, expecting ``token``."""
    from backoffice.app import create_app
    from common import settings

    monkeypatch.setenv("BACKOFFICE_DATABASE_URL", url)
    monkeypatch.setenv("BACKOFFICE_TOKEN", token)

    return create_app(settings.load()).test_client()


@pytest.fixture(scope="session")
def seeded_backoffice_url(tmp_path_factory) -> str:
    """A SQLite back-office database with the demo region, shared by the read-only tests."""
    return seeded_backoffice(tmp_path_factory, "bo")


@dataclass(frozen=True)
class Stack:
    env: dict[str, str]
    log_dir: Path
    wechat: WechatStandin  # WeChat's servers for this stack (API, web authorisation)

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.env[service.upper() + '_PORT']}"


@pytest.fixture(scope="session")
def live_stack(tmp_path_factory, redis_url) -> Iterator[Stack]:
    """Back-office, actions, Rasa and web as real processes (the Procfile's commands) on free ports.

    Databases are PostgreSQL, as in production.
    """
    workdir = tmp_path_factory.mktemp("stack")
    pg = PostgresDatabases(_test_pg_url())
    platform_url = pg.create("civic_stack_pf")
    backoffice_url = pg.create("civic_stack_bo")
    migrate.upgrade("platform", platform_url)
    migrate.upgrade("backoffice", backoffice_url)
    from backoffice.seed.load import seed

    seed(make_engine(backoffice_url))
    redis_stack_url = redis_url.rsplit("/", 1)[0] + "/14"
    redis.Redis.from_url(redis_stack_url).flushdb()
    ports = {key: stack.free_port() for key in stack.DEFAULT_PORTS}
    wechat = WechatStandin(
        f"http://127.0.0.1:{ports['WEB_PORT']}/wechat", "test-token", "wx_test_app", "test-app-secret"
    )
    wechat_server = serve(wechat.app)
    env = stack.stack_env(
        {
            **os.environ,
            "DATABASE_URL": platform_url,
            "BACKOFFICE_DATABASE_URL": backoffice_url,
            "REDIS_URL": redis_stack_url,
            "RASA_MODEL": str(train.train()),
            "WECHAT_TOKEN": "test-token",
            "WECHAT_APP_ID": "wx_test_app",
            "WECHAT_ENCODING_AES_KEY": "",
            "WECHAT_APP_SECRET": "test-app-secret",
            "WECHAT_API_BASE": base_url(wechat_server),
            "WECHAT_OPEN_BASE": base_url(wechat_server),
            "DEMO_MODE": "1",
            "BACKOFFICE_TOKEN": "test-backoffice-token",
            "RASA_TOKEN": "test-rasa-token",
            "DOCUMENT_STORE": str(workdir / "documents"),  # residents' photos (docs/documents.md)
        },
        ports,
    )
    log_dir = workdir / "logs"
    procs = {}
    try:
        for name in ("backoffice", "actions", "rasa", "web"):
            procs[name] = stack.start_process(name, env, log_dir)
        stack.wait_http(f"http://127.0.0.1:{ports['BACKOFFICE_PORT']}/readyz", 60, procs["backoffice"])
        stack.wait_http(f"http://127.0.0.1:{ports['ACTIONS_PORT']}/readyz", 60, procs["actions"])
        stack.wait_http(f"http://127.0.0.1:{ports['RASA_PORT']}/", 300, procs["rasa"])
        stack.wait_http(f"http://127.0.0.1:{ports['WEB_PORT']}/readyz", 60, procs["web"])
        # Rasa's first prediction is about ten times its next ones (350 ms against 35 ms on a
        # quiet machine: TensorFlow traces its graphs): made here, straight to Rasa (nothing in
        # the platform's tables), so that no test's first WeChat turn on a loaded CI machine
        # runs past the reply budget and comes back as `success`.
        requests.post(
            f"http://127.0.0.1:{ports['RASA_PORT']}/webhooks/platform/webhook",
            json={"sender": "warm-up", "message": "你好"},
            headers={"Authorization": f"Bearer {env['RASA_TOKEN']}"},
            timeout=120,
        ).raise_for_status()
        yield Stack(env, log_dir, wechat)
    except Exception:
        stack.print_log_tails(log_dir)
        raise
    finally:
        for proc in procs.values():
            stack.stop_process(proc)
        wechat_server.shutdown()
        pg.drop_all()
        log_check.CHECK.scan(log_dir)  # before the logs go
        shutil.rmtree(workdir, ignore_errors=True)
