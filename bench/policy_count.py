"""The campaign builder's audience count at 1,000,000 residents in PostgreSQL: how long each count takes.

    .venv/bin/python -m bench.policy_count [--residents 1000000] [--pg postgresql://127.0.0.1:5432/test] [--repeat 5]

Seeds the same registry as bench/policy_audience.py (COPY; 35 % bound to an openid, 2 % of those
with withdrawn consent; the registry's triggers keep each household's member count and each bound
resident's openid through the COPY),
and has 60 % of the bound accept the campaign's subscription template.
Then, per rule — each benefit's eligibility as the back-office publishes it (from its own modules,
as GET /assistance/eligibility and /eldercare/eligibility answer) and the worst case, everyone —
times ``audience.quick_counts`` (what POST /admin/campaigns/audience runs on every change in the
builder) ``--repeat`` times, and checks its figures once against the full computation
(``audience.counts``: every row streamed and classified; ``--no-full`` skips it). ``--told`` first adds, per
benefit, an earlier campaign that told 1 in 10 residents (so that ``already_told`` has residents to find).

Wall time on a machine shared with other work says little, so each count is also measured in CPU
seconds: this process's, plus the two PostgreSQL backends' (the registry's and the platform's, read
from /proc: the server must run on this machine), with the registry's parallel workers off for those
repetitions (``max_parallel_workers_per_gather = 0``) so that no work is done where it is not counted.
That sum is about what one count takes on an idle core.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from bench.policy_audience import AS_OF, create_db, drop_db, seed
from common.db import make_engine

TEMPLATE = "TPL_bench"
TOLD_CAMPAIGN = "bench: told before"


def opt_in(platform_url: str, residents: int, share: float = 0.6) -> None:
    pf = make_engine(platform_url)
    with pf.begin() as conn:  # 6 in 10 residents' openids, if bound, accepted the template (the seed binds oBench<id>)
        conn.execute(
            text(
                "INSERT INTO notice_consent (openid, template_id, status, source, updated_at) "
                "SELECT 'oBench' || lpad(g::text, 8, '0'), :t, 'accept', 'popup_h5', now() "
                "FROM generate_series(1, :n) AS g WHERE g % 10 < :k"
            ),
            {"t": TEMPLATE, "k": round(share * 10), "n": residents},
        )
    pf.dispose()


def told_before(platform_url: str, benefits: set[str], residents: int, share: float = 0.1) -> None:
    """For each benefit, an earlier campaign that told 1 in 10 residents of it (deliveries ``sent``; ids ending
    in 3, whose openids :func:`opt_in` accepted): the counts then have ``already_told`` residents to find, as
    they do once campaigns have run. Kept databases get it once."""
    from web.policy.models import PolicyCampaign

    pf = make_engine(platform_url)
    with Session(pf) as sess, sess.begin():
        done = set(sess.scalars(select(PolicyCampaign.benefit).where(PolicyCampaign.name == TOLD_CAMPAIGN)))
        for benefit in sorted(benefits - done):
            campaign = PolicyCampaign(name=TOLD_CAMPAIGN, benefit=benefit, state="completed")
            sess.add(campaign)
            sess.flush()
            sess.execute(
                text(
                    "INSERT INTO policy_delivery (campaign_id, resident_id, openid, name, status, attempts) "
                    "SELECT :c, g, 'oBench' || lpad(g::text, 8, '0'), '', 'sent', 1 "
                    "FROM generate_series(1, :n) AS g WHERE g % :every = 3"
                ),
                {"c": campaign.id, "n": residents, "every": round(1 / share)},
            )
    pf.dispose()


def rules_to_measure(registry_url: str) -> dict[str, tuple[dict, str]]:
    from backoffice.assistance import eligibility as assistance
    from backoffice.assistance import standards

    engine = make_engine(registry_url)
    with engine.connect() as conn:
        names = {c: n for c, n in conn.execute(text("SELECT code, name FROM district"))}
    engine.dispose()
    found = {
        e["benefit"]: (e["rule"], e["benefit"]) for e in assistance.eligibility(standards.in_force(AS_OF), names, AS_OF)
    }
    found["高龄津贴"] = ({"all": [{"hukou_district": {"in": sorted(names)}}, {"age": {"gte": 80}}]}, "高龄津贴")
    found["everyone (worst case)"] = ({"age": {"gte": 0}}, "价格临时补贴")
    return found


def backend_cpu(pid: int) -> float:
    """CPU seconds (user + system) a PostgreSQL backend on this machine has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(registry_url: str, platform_url: str, repeat: int, full_check: bool = True, told: bool = False) -> None:
    from web.policy import audience, compiler, registry, rules, standards

    measured = rules_to_measure(registry_url)
    if told:
        with make_engine(registry_url).connect() as conn:
            residents = conn.execute(text("SELECT max(id) FROM resident")).scalar_one()
        told_before(platform_url, {benefit for _rule, benefit in measured.values()}, residents)
    reg = registry.read_only_engine(registry_url)
    sessions = sessionmaker(make_engine(platform_url))
    for label, (rule, benefit) in measured.items():
        times, cpu = [], []
        with reg.connect() as conn, sessions() as sess:
            ctx = compiler.Context(AS_OF, standards.fallback(), registry.load_region(conn), conn.dialect.name)
            aud = audience.Audience(rules.parse(rule), benefit, ctx)
            for _ in range(repeat):
                started = time.monotonic()
                quick = audience.quick_counts(conn, sess, aud, TEMPLATE)
                times.append(time.monotonic() - started)
            conn.commit()
            pids = [
                conn.exec_driver_sql("SELECT pg_backend_pid()").scalar(),
                sess.scalar(text("SELECT pg_backend_pid()")),
            ]
            conn.exec_driver_sql("SET max_parallel_workers_per_gather = 0")
            conn.commit()
            for _ in range(repeat):
                before = time.process_time() + sum(backend_cpu(p) for p in pids)
                assert audience.quick_counts(conn, sess, aud, TEMPLATE) == quick
                cpu.append(time.process_time() + sum(backend_cpu(p) for p in pids) - before)
                conn.commit()
            if full_check:
                started = time.monotonic()
                full = audience.counts(conn, sess, aud, TEMPLATE)
                full_s = time.monotonic() - started
                assert quick == full, (quick, full)
        print(
            json.dumps(
                {
                    "rule": label,
                    "counts": quick,
                    "count_median_s": round(statistics.median(times), 3),
                    "count_max_s": round(max(times), 3),
                    "count_cpu_median_s": round(statistics.median(cpu), 3),
                    "count_cpu_max_s": round(max(cpu), 3),
                    **({"full_computation_s": round(full_s, 2)} if full_check else {}),
                },
                ensure_ascii=False,
            ),
            flush=True,
        )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--residents", type=int, default=1_000_000)
    parser.add_argument("--pg", default="postgresql://127.0.0.1:5432/test")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-full", action="store_true", help="skip the check against the full computation")
    parser.add_argument("--keep", action="store_true", help="keep the two databases (their URLs are printed)")
    parser.add_argument("--reuse", nargs=2, metavar=("REGISTRY_URL", "PLATFORM_URL"), help="measure kept databases")
    parser.add_argument(
        "--told", action="store_true", help="an earlier campaign of each benefit told 1 in 10 residents (kept after)"
    )
    args = parser.parse_args()
    if args.reuse:
        measure(*args.reuse, args.repeat, not args.no_full, args.told)
        return 0
    registry_url, platform_url = create_db(args.pg, "bench_registry"), create_db(args.pg, "bench_platform")
    try:
        started = time.monotonic()
        seed(registry_url, platform_url, args.residents)
        opt_in(platform_url, args.residents)
        print(f"seeding took {time.monotonic() - started:.0f} s", flush=True)
        measure(registry_url, platform_url, args.repeat, not args.no_full, args.told)
    finally:
        if args.keep:
            print(f"kept: {registry_url} {platform_url}")
        else:
            drop_db(args.pg, registry_url)
            drop_db(args.pg, platform_url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
