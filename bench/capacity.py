"""The capacity model's inputs, measured here, and the model's table (docs/deployment.md,
"Capacity for a district and a city").

Measured:

* **CPU per resident message, per process**: the Procfile's back-office, actions, Rasa and web
  (``bench.wechat_e2e.start_stack``), ``--residents`` residents writing through ``/wechat`` in a
  closed loop for ``--seconds``, each starting a new conversation every ``--turns`` messages; each process tree's CPU time (user + system) over the messages
  answered. CPU time, not wall time, so the other work on a shared machine counts less than in a
  throughput figure (it still slows each instruction: caches, frequency).
* **One Rasa instance's throughput**: the same residents, closed loop, to Rasa's platform channel
  alone (msgs/s, and its CPU per message).
* **Redis commands and bytes per message**: ``INFO stats`` of the stack's Redis before and after
  the ``/wechat`` run (the web app's ledger, limits and choices; Rasa's tracker and lock stores:
  the tracker store reads and writes the whole conversation session each turn, so the bytes grow
  with the session). The Redis server must be the bench's own (nothing else counted).
* **PostgreSQL statements per message**: SQLAlchemy ``after_cursor_execute`` and ``commit`` events
  around the routing point as ``bench.routing_point`` builds it (real PostgreSQL, the real hooks,
  an instant bot): INSERT / UPDATE / DELETE statements and rows, SELECTs, commits per resident message.
* **Push throughput per worker**: ``--push-per-worker`` (docs/performance.md, "Sending": 43.4 msgs/s),
  or ``--measure-push N`` runs ``bench.policy_push --messages N --workers 1`` and reads it.

The model (assumptions are arguments, defaults as docs/deployment.md gives them) turns a
population into an hour's messages and a campaign into a wave of replies, and those into pods.

    .venv/bin/python -m bench.capacity [--model models/<hash>.tar.gz] [--seconds 60] [--residents 20]
        [--push-per-worker 43.4 | --measure-push 3000]
    .venv/bin/python -m bench.capacity --inputs '<the JSON line a run printed>'   # the table again, no measuring
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis
from sqlalchemy import event

from bench import routing_point
from bench.wechat_e2e import QUESTION, Targets, cpu_seconds, pg_server, start_stack, sustained
from tools import train
from web.conversations.router import Inbound

ROOT = Path(__file__).resolve().parent.parent
PROCESSES = ("rasa", "web", "actions", "backoffice")


# -- measuring -------------------------------------------------------------------------------
def closed_loop(
    call: Callable[[str], float], residents: int, seconds: float, procs: dict[str, Any], red: redis.Redis
) -> dict[str, float]:
    """``sustained`` with each process's CPU and Redis's commands counted around it."""
    cpu_before = {name: cpu_seconds(procs[name].pid) for name in PROCESSES}
    before = red.info("stats")
    run = sustained(call, residents, seconds)
    after = red.info("stats")
    commands = after["total_commands_processed"] - before["total_commands_processed"] - 2  # less the two INFOs
    traffic = sum(after[k] - before[k] for k in ("total_net_input_bytes", "total_net_output_bytes"))
    n = run["n"] + run["answered_success"]
    cpu_ms = {name: (cpu_seconds(procs[name].pid) - cpu_before[name]) * 1000 / n for name in PROCESSES}
    return {
        "msgs_per_s": run["msgs_per_s"],
        "p99_ms": run["p99_ms"],
        "n": n,
        "errors": run["errors"],
        "redis_commands_per_msg": commands / n,
        "redis_kb_per_msg": traffic / n / 1000,  # in and out: Rasa reads and writes the whole session
        **{f"cpu_ms_{name}": ms for name, ms in cpu_ms.items()},
    }


def conversations_of(call: Callable[[str], float], turns: int) -> Callable[[str], float]:
    """``call`` with a new conversation every ``turns`` messages of a resident (a session as long
    as the model's, not one that grows for the whole run)."""
    local = threading.local()

    def send(openid: str) -> float:
        sent = getattr(local, "sent", 0)
        local.sent = sent + 1
        return call(f"{openid}c{sent // turns}")

    return send


def live(model: Path, residents: int, seconds: float, question: str, turns: int) -> dict[str, dict[str, float]]:
    with tempfile.TemporaryDirectory() as tmp:
        env, handle = start_stack(model, Path(tmp))
        try:
            targets = Targets(env, question)
            for warm in range(5):
                targets.wechat(f"oCapacityWarm{warm}")
                targets.rasa_alone(f"oCapacityWarm{warm}")
            red = redis.Redis.from_url(env["REDIS_URL"])
            return {
                "rasa_alone": closed_loop(
                    conversations_of(targets.rasa_alone, turns), residents, seconds, handle["procs"], red
                ),
                "wechat": closed_loop(
                    conversations_of(targets.wechat, turns), residents, seconds, handle["procs"], red
                ),
            }
        finally:
            handle["cleanup"]()


def statement_kind(statement: str) -> str:
    word = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else "?"
    return word if word in ("INSERT", "UPDATE", "DELETE", "SELECT") else "OTHER"


def pg_per_message(messages: int = 200) -> dict[str, float]:
    """Statements, written rows and commits per resident message at the routing point (answer and
    record), on PostgreSQL, with the instant bot (its understanding: one intent, no flow event)."""
    with routing_point.fresh_router(pg_server()) as (router, database, senders):
        counts: Counter[str] = Counter()

        def executed(_conn, _cursor, statement, parameters, _context, executemany) -> None:  # noqa: ANN001
            kind = statement_kind(statement)
            counts[kind] += 1
            if kind in ("INSERT", "UPDATE", "DELETE"):
                counts["rows"] += len(parameters) if executemany else 1

        def committed(_conn) -> None:  # noqa: ANN001
            counts["commits"] += 1

        event.listen(database.engine, "after_cursor_execute", executed)
        event.listen(database.engine, "commit", committed)
        for i in range(messages):
            router.handle(Inbound("wechat", senders[i % len(senders)], QUESTION))
        event.remove(database.engine, "after_cursor_execute", executed)
        event.remove(database.engine, "commit", committed)
    return {
        "writes": (counts["INSERT"] + counts["UPDATE"] + counts["DELETE"]) / messages,
        "rows_written": counts["rows"] / messages,
        "selects": counts["SELECT"] / messages,
        "other": counts["OTHER"] / messages,
        "commits": counts["commits"] / messages,
        **{kind.lower(): counts[kind] / messages for kind in ("INSERT", "UPDATE", "DELETE")},
    }


def measured_push(messages: int) -> float:
    out = subprocess.run(
        [sys.executable, "-m", "bench.policy_push", "--messages", str(messages), "--workers", "1", "--rate", "1000"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found = re.search(r"([\d.]+) msgs/s per worker", out)
    if not found:
        raise RuntimeError(f"bench.policy_push printed no rate:\n{out[-2000:]}")
    return float(found.group(1))


# -- the model --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Assumptions:
    """What is not measured here; docs/deployment.md says where each comes from."""

    followers: float = 0.35  # share of residents who follow the account (bench.policy_audience's seed)
    daily_writers: float = 0.01  # share of followers who write on an ordinary day
    turns: float = 6.0  # messages a resident sends in one conversation
    busiest_hour: float = 0.12  # share of a day's messages in its busiest hour
    pushed: int = 250_000  # residents a campaign reaches
    reply_rate: float = 0.10  # share of them who reply
    reply_median_min: float = 15.0  # half the replies within this many minutes of the push reaching them
    rasa_utilisation: float = 0.6  # of one core: p99 <= 1 s for 100 paced residents (docs/performance.md)
    utilisation: float = 0.7  # of a pod's CPU request for the others (the HorizontalPodAutoscalers' target)
    web_cores: float = 0.5  # CPU requests of deploy/kubernetes/base: web
    actions_cores: float = 0.25  # actions
    backoffice_cores: float = 0.5  # the reference back-office (a bureau's own may differ)


def ordinary_rate(population: float, a: Assumptions) -> float:
    """Resident messages per second in the busiest hour of an ordinary day."""
    return population * a.followers * a.daily_writers * a.turns * a.busiest_hour / 3600


def wave_rate(push_rate: float, a: Assumptions) -> float:
    """Resident messages per second at the top of the reply wave. The push goes out at
    ``push_rate`` for ``T = pushed / push_rate`` s; each resident reached replies with
    probability ``reply_rate`` after an exponential delay (mean ``tau``), so conversations
    start at ``push_rate * reply_rate * (1 - exp(-t / tau))``, highest at ``t = T``; each
    brings ``turns`` messages within minutes, short against ``T`` and ``tau``."""
    tau = a.reply_median_min * 60 / math.log(2)
    sending = a.pushed / push_rate
    return push_rate * a.reply_rate * (1 - math.exp(-sending / tau)) * a.turns


def pods(rate: float, inputs: dict[str, Any], a: Assumptions, push_rate: float) -> dict[str, Any]:
    cpu = inputs["live"]["wechat"]
    pg = inputs["pg"]
    need = {
        "rasa": rate * cpu["cpu_ms_rasa"] / 1000 / a.rasa_utilisation,
        "web": rate * cpu["cpu_ms_web"] / 1000 / (a.web_cores * a.utilisation),
        "actions": rate * cpu["cpu_ms_actions"] / 1000 / (a.actions_cores * a.utilisation),
        "backoffice": rate * cpu["cpu_ms_backoffice"] / 1000 / (a.backoffice_cores * a.utilisation),
        "worker": push_rate / inputs["push_per_worker"] if push_rate else 0.0,
    }
    out: dict[str, Any] = {name: max(2, math.ceil(n)) for name, n in need.items()}  # 2: one may be down
    out["pg_commits_s"] = rate * pg["commits"] + push_rate * 2  # a push: its claim and its result
    out["pg_rows_s"] = rate * pg["rows_written"]
    out["redis_ops_s"] = rate * cpu["redis_commands_per_msg"]
    out["redis_mb_s"] = rate * cpu.get("redis_kb_per_msg", 0.0) / 1000
    return out


def table(inputs: dict[str, Any], a: Assumptions, push_rates: tuple[float, ...]) -> list[str]:
    rows = []
    for place, population in (("district, 1 million", 1e6), ("Shanghai, 24 million", 24e6)):
        ordinary = ordinary_rate(population, a)
        rows.append((f"{place}: ordinary busiest hour", ordinary, 0.0))
        for push_rate in push_rates:
            rows.append(
                (f"{place}: push at {push_rate:g}/s, top of the wave", ordinary + wave_rate(push_rate, a), push_rate)
            )
    city = ordinary_rate(24e6, a)
    rows.append(
        (
            f"Shanghai: 16 districts push at {push_rates[0]:g}/s each",
            city + 16 * wave_rate(push_rates[0], a),
            16 * push_rates[0],
        )
    )
    lines = [
        "| load | msgs/s | Rasa | web | actions | back-office | worker | PostgreSQL commits/s (rows/s) | Redis ops/s, MB/s |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for label, rate, push_rate in rows:
        p = pods(rate, inputs, a, push_rate)
        lines.append(
            f"| {label} | {rate:.1f} | {p['rasa']} | {p['web']} | {p['actions']} | {p['backoffice']} | {p['worker']} "
            f"| {p['pg_commits_s']:.0f} ({p['pg_rows_s']:.0f}) | {p['redis_ops_s']:.0f}, {p['redis_mb_s']:.0f} |"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=None, help="default: train (or reuse) the current data's model")
    parser.add_argument("--question", default=QUESTION)
    parser.add_argument("--residents", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60.0, help="each closed-loop run")
    parser.add_argument("--push-per-worker", type=float, default=43.4, help="msgs/s (docs/performance.md, Sending)")
    parser.add_argument("--measure-push", type=int, default=0, help="run bench.policy_push with this many messages")
    parser.add_argument("--push-rates", default="20,300", help="campaign send rates to model (20/s: the default)")
    parser.add_argument("--inputs", default=None, help="a JSON line of inputs a run printed: the table only")
    for name, field in Assumptions.__dataclass_fields__.items():
        parser.add_argument(f"--{name.replace('_', '-')}", type=type(field.default), default=field.default)
    args = parser.parse_args()
    a = Assumptions(**{name: getattr(args, name) for name in Assumptions.__dataclass_fields__})
    if args.inputs:
        inputs = json.loads(args.inputs)
    else:
        started = time.monotonic()
        model = args.model or train.train()
        inputs = {
            "when": time.strftime("%Y-%m-%d %H:%M"),
            "cores": os.cpu_count(),
            "load_average": round(os.getloadavg()[0], 1),
            "question": args.question,
            "pg": pg_per_message(),
            "live": live(model, args.residents, args.seconds, args.question, round(a.turns)),
            "push_per_worker": measured_push(args.measure_push) if args.measure_push else args.push_per_worker,
        }
        inputs["seconds_taken"] = round(time.monotonic() - started)
    print("inputs: " + json.dumps(inputs, ensure_ascii=False))
    rasa, wechat, pg = inputs["live"]["rasa_alone"], inputs["live"]["wechat"], inputs["pg"]
    print(
        f"one Rasa instance, closed loop of {args.residents}: {rasa['msgs_per_s']:.1f} msgs/s, "
        f"{rasa['cpu_ms_rasa']:.1f} ms of CPU per message = {1000 / rasa['cpu_ms_rasa']:.1f} msgs/s per core"
    )
    print(
        f"through /wechat: {wechat['msgs_per_s']:.1f} msgs/s; CPU per message: "
        + ", ".join(f"{name} {wechat[f'cpu_ms_{name}']:.1f} ms" for name in PROCESSES)
        + f"; Redis {wechat['redis_commands_per_msg']:.1f} commands"
    )
    print(
        f"PostgreSQL per resident message (routing point): {pg['writes']:.1f} writes "
        f"({pg['insert']:.1f} INSERT, {pg['update']:.1f} UPDATE, {pg['delete']:.1f} DELETE; {pg['rows_written']:.1f} rows), "
        f"{pg['selects']:.1f} SELECTs, {pg['commits']:.1f} commits"
    )
    print(f"push: {inputs['push_per_worker']:.1f} msgs/s per worker")
    print(f"assumptions: {a}")
    for line in table(inputs, a, tuple(float(r) for r in args.push_rates.split(","))):
        print(line)


if __name__ == "__main__":
    main()
