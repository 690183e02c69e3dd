"""Done when (issue 23): a back-office status change reaches the resident once, also when the platform is
down while it happens and restarts later.

Real processes: the Procfile's Celery worker and beat (``status_updates.read`` every 20 s), PostgreSQL for
the back-office and the platform, Redis, the back-office over HTTP and the WeChat stand-in recording what
reaches the resident (a template message here: the resident's customer-service window is closed and they
have not subscribed to the notice)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
import redis
from celery import Celery
from sqlalchemy import func, select

from common.db import make_engine
from common.migrate import upgrade
from tests.policy.helpers import APP_ID, APP_SECRET, ServedStandin
from tests.status_updates.conftest import OPENID, TOKEN
from tests.waiting import wait_for
from tools import stack
from web.status_updates.models import StatusUpdate

pytestmark = pytest.mark.timeout(400)

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15").rsplit("/", 1)[0] + "/9"
A_MINUTE = 60.0


def _platform_up(env: dict[str, str], log_dir: Path) -> list:
    worker = stack.start_process("worker", env, log_dir)
    beat = stack.start_process("beat", env, log_dir)
    wait_for(lambda: "ready." in (log_dir / "worker.log").read_text(errors="replace"), 60, "the Celery worker")
    return [worker, beat]


def _down(processes: list) -> None:
    for proc in processes:
        stack.stop_process(proc)


def test_a_status_change_reaches_the_resident_once_also_when_the_platform_was_down(backoffice, postgres, tmp_path):
    platform_url = postgres.create("civic_su_live")
    upgrade("platform", platform_url)
    wechat = ServedStandin()
    wechat.subscribe(OPENID)
    redis.Redis.from_url(REDIS_URL).flushdb()
    env = stack.stack_env(
        {
            **os.environ,
            "DATABASE_URL": platform_url,
            "REDIS_URL": REDIS_URL,
            "BACKOFFICE_URL": backoffice.url,
            "BACKOFFICE_TOKEN": TOKEN,
            "WECHAT_API_BASE": wechat.url,
            "WECHAT_APP_ID": APP_ID,
            "WECHAT_APP_SECRET": APP_SECRET,
            "WORKER_METRICS_PORT": str(stack.free_port()),
        },
        {"WEB_PORT": 0, "RASA_PORT": 0, "ACTIONS_PORT": 0, "BACKOFFICE_PORT": 0},
    )
    log_dir = tmp_path / "logs"
    Path("/tmp/celerybeat-schedule").unlink(missing_ok=True)

    def told() -> list[str]:
        return [m["data"]["phrase3"]["value"] for m in wechat.templates_to(OPENID)]

    processes = _platform_up(env, log_dir)
    try:
        case_no = backoffice.apply()
        backoffice.move(case_no, "入户调查")
        moved = time.monotonic()
        wait_for(lambda: told() == ["入户调查"], A_MINUTE, "the first step told within a minute")
        assert time.monotonic() - moved < A_MINUTE

        _down(processes)  # the platform stops (worker and beat) ...
        backoffice.move(case_no, "经济状况核对")  # ... while the case moves on
        time.sleep(3)
        assert told() == ["入户调查"]

        processes = _platform_up(env, log_dir)  # restarted
        restarted = time.monotonic()
        wait_for(lambda: len(told()) == 2, A_MINUTE, "the step made while down, told after the restart")
        assert time.monotonic() - restarted < A_MINUTE
        broker = Celery("civic", broker=REDIS_URL, backend=REDIS_URL)
        try:  # two more runs, each waited for: nothing is told twice
            runs = [broker.send_task("status_updates.read"), broker.send_task("status_updates.read")]
            for run in runs:
                run.get(timeout=A_MINUTE)
        finally:
            broker.close()
    except Exception:
        stack.print_log_tails(log_dir)
        raise
    finally:
        _down(processes)
        wechat.close()
    assert told() == ["入户调查", "收入核对"]
    [first, second] = wechat.templates_to(OPENID)
    assert first["data"]["character_string2"]["value"] == case_no
    engine = make_engine(platform_url)
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(StatusUpdate)) == 2
    engine.dispose()
