"""Audience computation over 1,000,000 residents in PostgreSQL: time and memory.

    .venv/bin/python -m bench.policy_audience [--residents 1000000] [--pg postgresql://127.0.0.1:5432/test]

Creates two throw-away databases on the server (a registry migrated with the back-office's
Alembic tree and the demo region; a platform database with the consent table), seeds the
residents with COPY (households of 1–4, 35 % bound to an openid, 2 % of those with
withdrawn consent, 2 % with a serious-illness expense in the last two years), then — in a
fresh child process, so its peak RSS is the engine's alone — compiles four rules and, for
each, times the SQL count and the full audience computation (stream the matched rows from a
server-side cursor, classify each batch against consent in the platform database).
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import time
import uuid
from datetime import date, timedelta

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from common.db import make_engine, normalise_url
from common.migrate import upgrade

RULES = {
    "高龄津贴: age ≥ 80, not held": (
        {"all": [{"age": {"gte": 80}}, {"benefit": {"not_held": "高龄津贴"}}]},
        "高龄津贴",
    ),
    "低保: income ≤ standard, savings ≤ 48000, holds neither": (
        {
            "all": [
                {"per_capita_income": {"lte_standard": 1}},
                {"household_savings": {"lte": 48000}},
                {"benefit": {"not_held": ["低保", "特困供养"]}},
            ]
        },
        "低保",
    ),
    "临时救助: 普陀区, illness expense ≥ 10000 in 90 days": (
        {
            "all": [
                {"hukou_district": "普陀区"},
                {"event": {"kind": "serious_illness_expense", "within_days": 90, "min_amount": 10000}},
            ]
        },
        "临时救助",
    ),
    "everyone (worst case: every resident streamed)": ({"age": {"gte": 0}}, "价格临时补贴"),
}
AS_OF = date(2026, 11, 23)


def create_db(server: str, prefix: str) -> str:
    admin = create_engine(normalise_url(server), isolation_level="AUTOCOMMIT")
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(normalise_url(server)).set(database=name).render_as_string(hide_password=False)


def drop_db(server: str, url: str) -> None:
    admin = create_engine(normalise_url(server), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    admin.dispose()


def seed(registry_url: str, platform_url: str, n: int, seed_value: int = 7) -> None:
    from backoffice.seed.load import load_region

    rng = random.Random(seed_value)
    upgrade("backoffice", registry_url)
    upgrade("platform", platform_url)
    engine = make_engine(registry_url)
    with Session(engine) as sess, sess.begin():
        load_region(sess)
        communities = [
            (c, d)
            for c, d in sess.execute(
                text("SELECT c.code, s.district_code FROM community c JOIN street s ON s.code = c.street_code")
            )
        ]
    benefits_pool = ["低保", "特困供养", "高龄津贴", "残疾人两项补贴"]

    def household(hid: int) -> tuple[str, str, int, int, int]:
        """The same household every time it is asked for (one COPY per table, one at a time)."""
        r = random.Random(hid * 7919 + seed_value)
        community, district = r.choice(communities)
        size = r.choice([1, 1, 2, 2, 2, 3, 3, 4])
        return (
            community,
            district,
            size,
            r.choice([0, 800, 1200, 1500, 2000, 3000, 5000, 8000, 12000]) * size,
            r.choice([0, 5000, 30000, 60000, 200000]),
        )

    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        hid = residents = bindings = events = 0
        with cur.copy(
            "COPY household (id, community_code, address, monthly_income, savings, vehicles, homes) FROM STDIN"
        ) as copy:
            while residents < n:
                hid += 1
                community, _district, size, income, savings = household(hid)
                copy.write_row((hid, community, "测试路1号", income, savings, 0, 1))
                residents += size
        last_household, residents = hid, 0
        with cur.copy(
            "COPY resident (id, id_number, name, gender, birth_date, phone, household_id, relation, hukou_district_code, "
            "hukou_community_code, disability_grade, living_alone, benefits) FROM STDIN"
        ) as copy:
            for hid in range(1, last_household + 1):
                community, district, size, _income, _savings = household(hid)
                for _ in range(size):
                    residents += 1
                    birth = AS_OF - timedelta(days=rng.randint(0, 100 * 365))
                    age = (AS_OF - birth).days // 365
                    held = [b for b in benefits_pool if rng.random() < (0.6 if b == "高龄津贴" and age >= 80 else 0.03)]
                    copy.write_row(
                        (
                            residents,
                            f"{residents:018d}",
                            f"居民{residents}",
                            rng.choice("男女"),
                            birth,
                            "13800000000",
                            hid,
                            "户主",
                            district,
                            community,
                            rng.choice([0] * 20 + [1, 2, 3, 4]),
                            size == 1,
                            json.dumps(held, ensure_ascii=False),
                        )
                    )
        now = time.strftime("%Y-%m-%d %H:%M:%S")
        with cur.copy("COPY wechat_binding (openid, resident_id, bound_at) FROM STDIN") as copy:
            for rid in range(1, residents + 1):
                if rng.random() < 0.35:
                    copy.write_row((f"oBench{rid:08d}", rid, now))
                    bindings += 1
        with cur.copy("COPY resident_event (resident_id, kind, occurred_on, amount, note) FROM STDIN") as copy:
            for rid in range(1, residents + 1):
                if rng.random() < 0.02:
                    copy.write_row(
                        (
                            rid,
                            "serious_illness_expense",
                            AS_OF - timedelta(days=rng.randint(0, 730)),
                            rng.choice([3000, 10000, 50000]),
                            "",
                        )
                    )
                    events += 1
        raw.commit()
        cur.execute("ANALYZE")
        raw.commit()
    finally:
        raw.close()
    pf = make_engine(platform_url)
    with pf.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO resident_consent (openid, subscribed, push_allowed, reason, updated_at) "
                "SELECT 'oBench' || lpad(g::text, 8, '0'), true, false, '退订', now() "
                "FROM generate_series(1, :n, 143) AS g"
            ),
            {"n": n},
        )
    print(
        f"seeded {residents} residents in {last_household} households, {bindings} openids, {events} events", flush=True
    )


def measure(registry_url: str, platform_url: str) -> None:
    """Run in a child process: its ru_maxrss is the audience computation's peak."""
    from web.policy import audience, compiler, registry, rules, standards

    reg = registry.read_only_engine(registry_url)
    sessions = sessionmaker(make_engine(platform_url))
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"child process after imports: peak RSS {baseline / 1024:.0f} MiB", flush=True)
    for label, (rule, benefit) in RULES.items():
        with reg.connect() as conn, sessions() as sess:
            ctx = compiler.Context(AS_OF, standards.fallback(), registry.load_region(conn), conn.dialect.name)
            node = rules.parse(rule)
            started = time.monotonic()
            count = conn.execute(compiler.count_query(node, ctx)).scalar()
            count_s = time.monotonic() - started
            started = time.monotonic()
            counts = audience.counts(conn, sess, audience.Audience(node, benefit, ctx))
            stream_s = time.monotonic() - started
        assert counts["matched"] == count
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(
            json.dumps(
                {
                    "rule": label,
                    "matched": count,
                    "count_seconds": round(count_s, 2),
                    "audience_seconds": round(stream_s, 2),
                    "counts": counts,
                    "peak_rss_mib": round(peak / 1024),
                },
                ensure_ascii=False,
            ),
            flush=True,
        )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--residents", type=int, default=1_000_000)
    parser.add_argument("--pg", default="postgresql://127.0.0.1:5432/test")
    parser.add_argument("--measure", nargs=2, metavar=("REGISTRY_URL", "PLATFORM_URL"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        measure(*args.measure)
        return 0
    registry_url, platform_url = create_db(args.pg, "bench_registry"), create_db(args.pg, "bench_platform")
    try:
        started = time.monotonic()
        seed(registry_url, platform_url, args.residents)
        print(f"seeding took {time.monotonic() - started:.0f} s", flush=True)
        subprocess.run(
            [sys.executable, "-m", "bench.policy_audience", "--measure", registry_url, platform_url], check=True
        )
    finally:
        drop_db(args.pg, registry_url)
        drop_db(args.pg, platform_url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
