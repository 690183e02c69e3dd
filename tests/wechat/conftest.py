"""The WeChat channel's own stack: the real web and Celery worker processes (the Procfile's
commands), the WeChat stand-in (tools/wechat_standin.py) and a small Rasa stand-in whose
speed and answers each test sets — the subject here is the channel, so the bot can be
made slow for real. Redis db 13 (nobody else's); PostgreSQL when reachable.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import redis
from celery import Celery
from sqlalchemy.orm import sessionmaker

from common.db import make_engine
from common.migrate import upgrade
from tests.serving import serve, served
from tools import stack
from tools.wechat_standin import WechatStandin
from web.outbound import Outbound

from .rasa_standin import RasaStandIn

WECHAT_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15").rsplit("/", 1)[0] + "/13"
TOKEN, APP_ID, APP_SECRET = "wx-test-token", "wx_channel_test", "channel-test-secret"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"  # 43 characters, as WeChat shows it
BUDGET = 1.5  # WECHAT_REPLY_BUDGET for these processes: short, so slow-bot tests are quick


@pytest.fixture(scope="session")
def rasa_standin() -> Iterator[RasaStandIn]:
    rasa = RasaStandIn()
    with served(rasa.server):
        yield rasa


@dataclass
class WechatStack:
    url: str
    env: dict[str, str]
    standin: WechatStandin
    rasa: RasaStandIn
    sessions: sessionmaker
    redis: redis.Redis
    log_dir: Path
    procs: dict[str, Any] = field(default_factory=dict)

    def outbound(self) -> Outbound:
        """An ``Outbound`` like the web process's: this stack's database, Redis and Celery broker."""
        broker = Celery("civic", broker=self.env["REDIS_URL"])
        return Outbound(self.sessions, self.redis, lambda task, args: broker.send_task(task, args=args))


@pytest.fixture(scope="session")
def wechat_stack(tmp_path_factory, redis_url, postgres, rasa_standin) -> Iterator[WechatStack]:
    """web + worker (Procfile commands) in safe mode, the WeChat stand-in as its WeChat."""
    workdir = tmp_path_factory.mktemp("wechat")
    db_url = postgres.create("civic_wechat")
    upgrade("platform", db_url)
    client = redis.Redis.from_url(WECHAT_REDIS_URL)
    client.flushdb()  # db 13 is this suite's alone; leftovers of an earlier run would be redelivered
    web_port = stack.free_port()
    standin = WechatStandin(
        f"http://127.0.0.1:{web_port}/wechat", TOKEN, APP_ID, APP_SECRET, AES_KEY, mode="safe", receipt_delay=0.3
    )
    standin_server = serve(standin.app)
    ports = {
        "WEB_PORT": web_port,
        "RASA_PORT": 0,
        "ACTIONS_PORT": 0,
        "BACKOFFICE_PORT": 0,
        "WORKER_METRICS_PORT": stack.free_port(),
    }
    env = stack.stack_env(
        {
            **os.environ,
            "DATABASE_URL": db_url,
            "REDIS_URL": WECHAT_REDIS_URL,
            "RASA_URL": rasa_standin.url,
            "WECHAT_TOKEN": TOKEN,
            "WECHAT_APP_ID": APP_ID,
            "WECHAT_APP_SECRET": APP_SECRET,
            "WECHAT_ENCODING_AES_KEY": AES_KEY,
            "WECHAT_API_BASE": f"http://127.0.0.1:{standin_server.server_port}",
            "WECHAT_REPLY_BUDGET": str(BUDGET),
            "RESIDENT_RATE_LIMIT": "20",
        },
        ports,
    )
    log_dir = workdir / "logs"
    procs = {}
    try:
        for name in ("web", "worker"):
            procs[name] = stack.start_process(name, env, log_dir)
        stack.wait_http(f"http://127.0.0.1:{web_port}/readyz", 60, procs["web"])
        _wait_worker(log_dir / "worker.log", procs["worker"])
        yield WechatStack(
            f"http://127.0.0.1:{web_port}",
            env,
            standin,
            rasa_standin,
            sessionmaker(make_engine(db_url), expire_on_commit=False),
            client,
            log_dir,
            procs,
        )
    except Exception:
        stack.print_log_tails(log_dir)
        raise
    finally:
        for proc in procs.values():
            stack.stop_process(proc)
        standin_server.shutdown()
        shutil.rmtree(workdir, ignore_errors=True)


def _wait_worker(log: Path, proc, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"celery worker exited with {proc.returncode}")
        if log.exists() and "ready." in log.read_text(errors="replace"):
            return
        time.sleep(0.3)
    raise TimeoutError("celery worker not ready")
