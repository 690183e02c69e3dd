"""Nearest-N eldercare search at 100,000 facilities, on SQLite and PostgreSQL.

    .venv/bin/python -m bench.eldercare_nearest [--facilities 100000] [--queries 300] [--pg postgresql://127.0.0.1:5432/test]

Seeds random facilities of every type over greater Shanghai into a fresh database
(migrated with the real Alembic tree), then times ``search.nearest`` (the query the
API runs) and the whole ``GET /eldercare/facilities`` request in-process, from random
points, for a plain type (助餐, nearest first) and a type with beds (养老院, free beds first).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from backoffice.eldercare.models import FACILITY_TYPES, TYPES_WITH_BEDS, Facility
from backoffice.eldercare.search import nearest
from backoffice.region.models import District, Street
from common.db import make_engine, normalise_url
from common.migrate import upgrade

BOUNDS = (30.90, 31.50, 121.10, 121.80)  # lat min/max, lng min/max: greater Shanghai
TYPE_WEIGHTS = (40, 20, 20, 10, 10)  # 助餐 commonest


def populate(url: str, n: int, seed: int = 1) -> None:
    upgrade("backoffice", url)
    engine = make_engine(url)
    rng = random.Random(seed)
    with Session(engine) as sess, sess.begin():
        sess.add(District(code="310107", name="普陀区", aliases=[], lat=31.25, lng=121.40))
        sess.flush()
        sess.add(
            Street(
                code="310107005",
                district_code="310107",
                name="曹杨新村街道",
                kind="街道",
                aliases=[],
                lat=31.24,
                lng=121.41,
                service_center={},
                advisor_name="",
                advisor_phone="",
            )
        )
    rows = []
    for i in range(n):
        type_ = rng.choices(FACILITY_TYPES, TYPE_WEIGHTS)[0]
        beds = (
            [{"level": "介护", "total": 50, "free": rng.choice([0, 0, 0, 1, 2, 5])}] if type_ in TYPES_WITH_BEDS else []
        )
        rows.append(
            {
                "code": f"B{i:06d}",
                "type": type_,
                "name": f"设施{i}",
                "district_code": "310107",
                "street_code": "310107005",
                "address": "测试路1号",
                "lat": rng.uniform(BOUNDS[0], BOUNDS[1]),
                "lng": rng.uniform(BOUNDS[2], BOUNDS[3]),
                "phone": "021-00000000",
                "hours": "9:00-17:00",
                "services": [],
                "price": "",
                "beds": beds,
                "free_beds": sum(b["free"] for b in beds),
            }
        )
    with engine.begin() as conn:
        for start in range(0, n, 5000):
            conn.execute(insert(Facility), rows[start : start + 5000])
        if engine.dialect.name == "postgresql":
            conn.execute(text("ANALYZE facility"))
        else:
            conn.execute(text("ANALYZE"))
    engine.dispose()


def _stats(samples: list[float]) -> str:
    samples = sorted(samples)
    p95 = samples[int(len(samples) * 0.95) - 1]
    return f"median {statistics.median(samples):6.2f} ms   p95 {p95:6.2f} ms   max {samples[-1]:6.2f} ms"


def measure(url: str, queries: int, label: str) -> list[str]:
    os.environ["BACKOFFICE_DATABASE_URL"], os.environ["BACKOFFICE_TOKEN"] = url, "bench"
    os.environ.setdefault("CIVIC_DEV", "1")  # the identity provider stand-in's development secrets
    from backoffice.app import create_app

    client = create_app().test_client()
    engine = make_engine(url)
    rng = random.Random(2)
    lines = []
    for type_ in ("助餐", "养老院"):
        points = [
            (rng.uniform(BOUNDS[0] + 0.05, BOUNDS[1] - 0.05), rng.uniform(BOUNDS[2] + 0.05, BOUNDS[3] - 0.05))
            for _ in range(queries)
        ]
        with Session(engine) as sess:
            nearest(sess, *points[0], type_)  # warm the connection and the plan cache
            query_ms = []
            for lat, lng in points:
                started = time.perf_counter()
                page = nearest(sess, lat, lng, type_, limit=5)
                query_ms.append((time.perf_counter() - started) * 1000)
                assert len(page.hits) == 5
        http_ms = []
        for lat, lng in points:
            started = time.perf_counter()
            resp = client.get(
                "/eldercare/facilities",
                query_string={"type": type_, "lat": lat, "lng": lng, "limit": 5},
                headers={"Authorization": "Bearer bench"},
            )
            http_ms.append((time.perf_counter() - started) * 1000)
            assert resp.status_code == 200
        lines.append(f"{label:<10} {type_:<6} nearest-5 query   {_stats(query_ms)}")
        lines.append(f"{label:<10} {type_:<6} GET (in-process)  {_stats(http_ms)}")
    engine.dispose()
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--facilities", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument(
        "--pg",
        default=os.environ.get("TEST_DATABASE_URL", "postgresql://127.0.0.1:5432/test"),
        help="a PostgreSQL server URL; a throw-away database is created on it ('' to skip)",
    )
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        started = time.perf_counter()
        populate(url, args.facilities)
        print(f"SQLite: seeded {args.facilities} facilities in {time.perf_counter() - started:.0f} s", flush=True)
        results += measure(url, args.queries, "SQLite")
    if args.pg:
        server = normalise_url(args.pg)
        admin = create_engine(server, isolation_level="AUTOCOMMIT")
        name = f"bench_eldercare_{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            url = make_url(server).set(database=name).render_as_string(hide_password=False)
            started = time.perf_counter()
            populate(url, args.facilities)
            print(
                f"PostgreSQL: seeded {args.facilities} facilities in {time.perf_counter() - started:.0f} s", flush=True
            )
            results += measure(url, args.queries, "PostgreSQL")
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    print(f"\n{args.facilities} facilities, {args.queries} random points per type, page of 5:")
    print("\n".join(results))


if __name__ == "__main__":
    main()
