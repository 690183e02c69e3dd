"""Each (campaign, resident) is sent at most once when a worker is killed mid-batch.

Real processes: the Procfile's Celery worker on the real Redis, PostgreSQL for the
registry and the platform, the WeChat stand-in over HTTP. The worker is SIGKILLed
while it is sending; a second worker picks up the redelivered tasks. At the stand-in
every resident has at most one message; every resident the platform records as sent
has exactly one; the only ones without a recorded result are those a dying worker had
claimed (at most one per worker process), and they are marked in doubt, never re-sent.
"""

from __future__ import annotations

import os
import signal
import time
from collections import Counter
from datetime import date

import pytest
import redis
from celery import Celery
from sqlalchemy import func, select

from common.db import make_engine
from common.migrate import upgrade
from tests.policy.conftest import People, load_people, resident_row, seed_region
from tests.policy.helpers import APP_ID, APP_SECRET, ServedStandin, new_campaign, subscribe
from tests.waiting import wait_for
from tools import stack
from web.policy.delivery import STALE_CLAIM
from web.policy.models import PolicyCampaign, PolicyDelivery

pytestmark = pytest.mark.timeout(400)

RESIDENTS = 400
CONCURRENCY = 2  # the Procfile's worker
VISIBILITY = 6  # seconds: CELERY_VISIBILITY_TIMEOUT for these workers, so the killed worker's tasks come back soon
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15").rsplit("/", 1)[0] + "/12"


def test_killed_worker_sends_nothing_twice(postgres, redis_url, tmp_path):
    registry_url, platform_url = postgres.create("civic_crash_bo"), postgres.create("civic_crash_pf")
    upgrade("backoffice", registry_url)
    upgrade("platform", platform_url)
    registry = make_engine(registry_url)
    seed_region(registry)
    people = People(
        households=[
            {"id": i, "community_code": "310107005001", "monthly_income": 900, "savings": 0}
            for i in range(1, RESIDENTS + 1)
        ]
    )
    for i in range(1, RESIDENTS + 1):
        people.residents.append(resident_row(i, i, date(1940, 5, 1)))
        people.bindings.append({"openid": f"oCrash{i:05d}", "resident_id": i})
    load_people(registry, people)
    served = ServedStandin()
    broker = redis.Redis.from_url(REDIS_URL)
    broker.flushdb()
    from sqlalchemy.orm import sessionmaker

    sessions = sessionmaker(make_engine(platform_url), expire_on_commit=False)
    subscribe(sessions, served, *(b["openid"] for b in people.bindings))  # opted in to the campaigns' notices
    # No quiet hours: the workers run in real time, whatever the hour in Shanghai when the suite runs.
    cid = new_campaign(sessions, rate_per_second=40.0, state="running", quiet_start="00:00", quiet_end="00:00")
    env = stack.stack_env(
        {
            **os.environ,
            "DATABASE_URL": platform_url,
            "BACKOFFICE_DATABASE_URL": registry_url,
            "REDIS_URL": REDIS_URL,
            "WECHAT_API_BASE": served.url,
            "WECHAT_APP_ID": APP_ID,
            "WECHAT_APP_SECRET": APP_SECRET,
            "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY),
            "BACKOFFICE_URL": "http://127.0.0.1:9",
        },
        {"WEB_PORT": 0, "RASA_PORT": 0, "ACTIONS_PORT": 0, "BACKOFFICE_PORT": 0},
    )
    log_dir = tmp_path / "logs"
    first = stack.start_process("worker", env, log_dir)
    second = None
    try:
        Celery("civic", broker=REDIS_URL).send_task("policy.prepare", args=[cid])
        wait_for(lambda: len(served.sent()) >= RESIDENTS // 4, 90, "the first quarter of the pushes")
        os.killpg(first.pid, signal.SIGKILL)  # the worker and its pool, mid-batch
        first.wait()
        at_kill = len(served.sent())
        assert at_kill < RESIDENTS, "the worker finished before it could be killed"
        time.sleep(VISIBILITY + 1)
        second = stack.start_process("worker", env, log_dir)

        def finished() -> bool:
            with sessions() as sess:
                return sess.scalar(select(PolicyCampaign.state).where(PolicyCampaign.id == cid)) == "completed"

        wait_for(finished, 120 + STALE_CLAIM, "the campaign to complete after the crash")
    finally:
        for proc in (first, second):
            if proc is not None:
                stack.stop_process(proc)
        served.close()
    per_openid = Counter(call["body"]["touser"] for call in served.sent())
    with sessions() as sess:
        rows = sess.execute(
            select(PolicyDelivery.openid, PolicyDelivery.status).where(PolicyDelivery.campaign_id == cid)
        ).all()
        assert sess.scalar(select(func.count()).select_from(PolicyDelivery)) == RESIDENTS
    status = dict(rows)
    assert len(status) == RESIDENTS  # one row per (campaign, resident)
    assert max(per_openid.values()) == 1, "a resident received the same campaign twice"
    sent = {o for o, s in status.items() if s == "sent"}
    in_doubt = {o for o, s in status.items() if s == "in_doubt"}
    assert sent | in_doubt == set(status), Counter(status.values())
    assert all(per_openid[o] == 1 for o in sent)
    assert len(in_doubt) <= CONCURRENCY
    assert len(per_openid) >= RESIDENTS - CONCURRENCY
    print(
        f"killed after {at_kill} sends; sent {len(sent)}, in doubt {len(in_doubt)} "
        f"(of which WeChat had received {sum(per_openid[o] for o in in_doubt)})"
    )
