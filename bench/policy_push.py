"""Sending a campaign of 100,000 messages through real Celery workers to the WeChat stand-in.

    .venv/bin/python -m bench.policy_push [--messages 100000] [--rate 300] [--workers 2] [--pg postgresql://127.0.0.1:5432/test]

Seeds a registry (PostgreSQL) with ``--messages`` residents, all bound and subscribed at the
stand-in, starts ``--workers`` copies of the Procfile's worker (each ``--concurrency 2``),
enqueues ``policy.prepare`` as the admin page does, and waits until the campaign completes.
Reports: messages per second (overall and per worker), the most messages the stand-in saw in
any one-second window against the configured rate, duplicates per resident, and the workers'
peak memory. The stand-in's TEMPLATESENDJOBFINISH callbacks are switched off here (there is no
web process to receive them); receipts are covered by the tests.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import sys
import tempfile
import threading
import time
from bisect import bisect_right
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import psutil
import redis
from celery import Celery
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.serving import make_server

from bench.policy_audience import create_db, drop_db
from common.db import make_engine
from common.migrate import upgrade
from tools import stack
from tools.wechat_standin import Resident, WechatStandin
from web.policy.models import PolicyCampaign

APP_ID, APP_SECRET = "wx_bench_push", "bench-push-secret"


def seed(registry_url: str, platform_url: str, n: int) -> list[str]:
    from backoffice.seed.load import load_region

    upgrade("backoffice", registry_url)
    upgrade("platform", platform_url)
    engine = make_engine(registry_url)
    with Session(engine) as sess, sess.begin():
        load_region(sess)
        community, district = sess.execute(
            text("SELECT c.code, s.district_code FROM community c JOIN street s ON s.code = c.street_code LIMIT 1")
        ).one()
    rng = random.Random(3)
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        with cur.copy(
            "COPY household (id, community_code, address, monthly_income, savings, vehicles, homes) FROM STDIN"
        ) as copy:
            for i in range(1, n + 1):
                copy.write_row((i, community, "测试路1号", 1000, 0, 0, 1))
        with cur.copy(
            "COPY resident (id, id_number, name, gender, birth_date, phone, household_id, relation, hukou_district_code, "
            "hukou_community_code, disability_grade, living_alone, benefits) FROM STDIN"
        ) as copy:
            for i in range(1, n + 1):
                copy.write_row(
                    (
                        i,
                        f"{i:018d}",
                        f"居民{i}",
                        rng.choice("男女"),
                        date(1940, 1, 1) + timedelta(days=rng.randint(0, 3000)),
                        "13800000000",
                        i,
                        "户主",
                        district,
                        community,
                        0,
                        True,
                        "[]",
                    )
                )
        with cur.copy("COPY wechat_binding (openid, resident_id, bound_at) FROM STDIN") as copy:
            for i in range(1, n + 1):
                copy.write_row((f"oPush{i:07d}", i, "2026-11-01 00:00:00"))
        raw.commit()
        cur.execute("ANALYZE")
        raw.commit()
    finally:
        raw.close()
    return [f"oPush{i:07d}" for i in range(1, n + 1)]


def max_in_window(times: list[float], window: float = 1.0) -> int:
    times = sorted(times)
    return max((bisect_right(times, t + window - 1e-9) - i for i, t in enumerate(times)), default=0)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--rate", type=float, default=300.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--pg", default="postgresql://127.0.0.1:5432/test")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/11")
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # the stand-in's access log
    registry_url, platform_url = create_db(args.pg, "bench_push_registry"), create_db(args.pg, "bench_push_platform")
    standin = WechatStandin("http://127.0.0.1:9/wechat", "tok", APP_ID, APP_SECRET, token_quota=10**6)
    standin.deliver = lambda *a, **k: None  # no receipts: nobody to receive them here
    server = make_server("127.0.0.1", 0, standin.app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    workers: list = []
    try:
        started = time.monotonic()
        openids = seed(registry_url, platform_url, args.messages)
        with standin.lock:
            for openid in openids:
                standin.residents[openid] = Resident()
        print(f"seeded {args.messages} bound residents in {time.monotonic() - started:.0f} s", flush=True)
        redis.Redis.from_url(args.redis).flushdb()
        sessions = sessionmaker(make_engine(platform_url), expire_on_commit=False)
        with sessions.begin() as sess:
            c = PolicyCampaign(
                name="bench",
                benefit="价格临时补贴",
                rule={"age": {"gte": 18}},
                template_id="TPL_bench",
                template_fields={"first": "{name}您好"},
                quiet_start="00:00",
                quiet_end="00:00",
                cap_per_week=2,
                rate_per_second=args.rate,
                state="running",
                counts={},
            )
            sess.add(c)
            sess.flush()
            cid = c.id
        env = stack.stack_env(
            {
                **os.environ,
                "DATABASE_URL": platform_url,
                "BACKOFFICE_DATABASE_URL": registry_url,
                "REDIS_URL": args.redis,
                "WECHAT_API_BASE": f"http://127.0.0.1:{server.server_port}",
                "WECHAT_APP_ID": APP_ID,
                "WECHAT_APP_SECRET": APP_SECRET,
                "BACKOFFICE_URL": "http://127.0.0.1:9",
                "LOG_LEVEL": "WARNING",
            },
            {"WEB_PORT": 0, "RASA_PORT": 0, "ACTIONS_PORT": 0, "BACKOFFICE_PORT": 0},
        )
        log_dir = Path(tempfile.mkdtemp(prefix="bench_push_"))
        workers = [stack.start_process("worker", env, log_dir) for _ in range(args.workers)]
        time.sleep(5)  # let the workers connect
        enqueued = time.monotonic()
        Celery("civic", broker=args.redis).send_task("policy.prepare", args=[cid])
        peak_rss, last_report = 0, time.monotonic()
        while True:
            time.sleep(1)
            if time.monotonic() - last_report >= 30:
                last_report = time.monotonic()
                with standin.lock:
                    so_far = sum(1 for c in standin.api_calls if c["errcode"] == 0)
                print(f"  {time.monotonic() - enqueued:.0f} s: {so_far} sent", flush=True)
            rss = 0
            for w in workers:
                proc = psutil.Process(w.pid)
                rss += sum(p.memory_info().rss for p in [proc, *proc.children(recursive=True)])
            peak_rss = max(peak_rss, rss)
            with sessions() as sess:
                if sess.scalar(select(PolicyCampaign.state).where(PolicyCampaign.id == cid)) == "completed":
                    break
            if time.monotonic() - enqueued > 3600:
                raise TimeoutError("campaign did not complete within an hour")
        done = time.monotonic()
        with standin.lock:
            calls = [c for c in standin.api_calls if c["errcode"] == 0]
        per_resident = Counter(call["body"]["touser"] for call in calls)
        times = [call["at"] for call in calls]
        span = max(times) - min(times)
        with sessions() as sess:
            statuses = dict(sess.execute(text("SELECT status, count(*) FROM policy_delivery GROUP BY status")).all())
        print(
            f"messages sent: {len(calls)} to {len(per_resident)} residents; duplicates: "
            f"{sum(n - 1 for n in per_resident.values())}; delivery statuses: {statuses}"
        )
        print(f"enqueue → campaign completed: {done - enqueued:.1f} s (audience + fan-out + sending)")
        print(
            f"first → last send: {span:.1f} s = {len(calls) / span:.1f} msgs/s overall, "
            f"{len(calls) / span / args.workers:.1f} msgs/s per worker ({args.workers} × --concurrency 2)"
        )
        print(f"rate limit {args.rate:g}/s; most sends in any 1-second window at the stand-in: {max_in_window(times)}")
        print(f"workers' peak RSS (all processes): {peak_rss / 2**20:.0f} MiB")
    finally:
        for w in workers:
            stack.stop_process(w)
        server.shutdown()
        drop_db(args.pg, registry_url)
        drop_db(args.pg, platform_url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
