"""End-to-end benchmark of the WeChat channel through the real stack, against Rasa alone.

Starts back-office, actions, Rasa and web from the Procfile on free ports (PostgreSQL
from TEST_DATABASE_URL, Redis db 13), then measures, in the same run:

* latency of a single-turn question (``--question``: by default 高龄津贴怎么领, answered in one
  message; 你好 is the cheapest turn Rasa has), sequential, the targets taking turns: signed
  ``POST /wechat`` → passive reply, the web app's REST channel, and the same message to
  Rasa's platform channel (``/webhooks/platform/webhook``, what the web app calls); then the routing point's own
  database work (``bench.routing_point``), so the overhead splits into that and the rest;
* a long conversation: one resident per target sending 200 messages in a row (Rasa alone, the
  web REST channel, ``/wechat``, taking turns message by message), the median per 20 turns and
  what the platform adds to Rasa alone in each (does a turn cost more as the conversation grows?);
  ``--long-only`` runs this part alone (a few minutes);
* saturation with 20 and 100 concurrent residents (closed loop: each sends its next
  message the moment the previous is answered), for both;
* paced load, the way residents write: 20 and 100 residents, each sending its next
  message a random (exponential) pause after the previous answer, so that all together
  offer a given rate; the rate is raised step by step, and the figure is the highest rate
  whose p99 stays under 4 s (and under 1 s), through ``/wechat``.

``--rasa-instances 2`` starts a second Rasa (the Procfile's command on another port) and
gives web both in ``RASA_URL``; conversations are spread over them by sender.

The per-resident rate limit and the web chat's per-address limit are switched off
(``RESIDENT_RATE_LIMIT=0``, ``WEB_CHAT_ADDRESS_LIMIT=0``): bench residents write far faster
than people do, all from one address. Results: docs/performance.md.

    .venv/bin/python -m bench.wechat_e2e [--model models/<hash>.tar.gz] [--seconds 20]
        [--sequential 100 --rounds 1] [--question …] [--long-turns 200] [--long-only] [--rates 5,10,…]
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import statistics
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import defusedxml.ElementTree as SafeET
import psutil
import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench import routing_point
from common.db import make_engine, normalise_url
from common.migrate import upgrade
from tools import stack, train
from tools.wechat_standin import message_xml, wechat_signature

ROOT = Path(__file__).resolve().parent.parent
QUESTION = "高龄津贴怎么领"  # a question the bot answers in one message, and the conversation is done
TOKEN = "bench-token"
_msg_ids = itertools.count(int(time.time() * 1000) * 1000)


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


ERRORS: Counter[str] = Counter()  # what failed, over the whole run, printed at the end


def describe(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"[:200]


class WentAsync(Exception):
    """WeChat got `success` (the bot needed more than the budget): the reply goes out through Celery."""


class Targets:
    def __init__(self, env: dict[str, str], question: str = QUESTION) -> None:
        self.question = question
        self.web = f"http://127.0.0.1:{env['WEB_PORT']}"
        self.rasa = f"http://127.0.0.1:{env['RASA_PORT']}"
        self.rasa_auth = {"Authorization": f"Bearer {env['RASA_TOKEN']}"}
        self.local = threading.local()

    def _http(self) -> requests.Session:
        if not hasattr(self.local, "http"):
            self.local.http = requests.Session()
        return self.local.http

    def wechat(self, resident: str) -> float:
        ts, nonce = str(int(time.time())), uuid.uuid4().hex[:8]
        body = message_xml(
            {
                "ToUserName": "gh_bench",
                "FromUserName": resident,
                "CreateTime": int(ts),
                "MsgType": "text",
                "Content": self.question,
                "MsgId": next(_msg_ids),
            }
        )
        started = time.perf_counter()
        resp = self._http().post(
            self.web + "/wechat",
            data=body.encode(),
            timeout=30,
            params={"signature": wechat_signature(TOKEN, ts, nonce), "timestamp": ts, "nonce": nonce},
        )
        elapsed = time.perf_counter() - started
        if resp.status_code == 200 and resp.text == "success":
            raise WentAsync()
        if resp.status_code != 200 or not SafeET.fromstring(resp.content).findtext("Content"):
            raise RuntimeError(f"no passive reply: {resp.status_code} {resp.text[:200]}")
        return elapsed

    def web_rest(self, resident: str) -> float:
        """The web app's REST channel: the same routing point as /wechat, without the WeChat protocol."""
        started = time.perf_counter()
        resp = self._http().post(
            self.web + "/webhooks/rest/webhook", json={"sender": resident, "message": self.question}, timeout=30
        )
        elapsed = time.perf_counter() - started
        if resp.status_code != 200 or not resp.json():
            raise RuntimeError(f"no web answer: {resp.status_code}")
        return elapsed

    def rasa_alone(self, resident: str) -> float:
        started = time.perf_counter()
        resp = self._http().post(
            self.rasa + "/webhooks/platform/webhook",
            json={"sender": resident, "message": self.question},
            headers=self.rasa_auth,
            timeout=30,
        )
        elapsed = time.perf_counter() - started
        if resp.status_code != 200 or not resp.json().get("messages"):
            raise RuntimeError(f"no Rasa answer: {resp.status_code}")
        return elapsed


def sequential(calls: dict[str, Callable[[str], float]], n: int) -> dict[str, list[float]]:
    """Seconds per message, one message at a time, a new resident each, the targets taking
    turns (so that a drift in the machine's speed during the run touches them all alike)."""
    times: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(n):
        for name, call in calls.items():
            times[name].append(call(f"oBenchSeq{uuid.uuid4().hex[:12]}"))
    return times


def overhead(times: dict[str, list[float]]) -> float:
    return statistics.median(times["wechat_seq"]) / statistics.median(times["rasa_seq"]) - 1


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its children (gunicorn's workers), in seconds."""
    proc = psutil.Process(pid)
    total = 0.0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            times = p.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


def long_conversation(
    calls: dict[str, Callable[[str], float]], turns: int, pids: dict[str, int], block: int = 20
) -> dict[str, dict[str, dict[str, float]]]:
    """One resident per target sending ``turns`` messages in a row, the targets taking turns
    message by message (a drift in the machine's speed touches them alike). Per target and
    ``block`` of turns: the median wall time, and the mean CPU time each process in ``pids``
    spent on a turn (its clock ticks are 10 ms: the mean of a block, not the median). CPU time is
    what a turn costs whatever else the machine runs; wall time is what the resident waits."""
    residents = {name: f"oBenchLong{uuid.uuid4().hex[:12]}" for name in calls}
    times: dict[str, list[float]] = {name: [] for name in calls}
    cpu: dict[str, dict[str, list[float]]] = {name: {proc: [] for proc in pids} for name in calls}
    for _ in range(turns):
        for name, call in calls.items():
            before = {proc: cpu_seconds(pid) for proc, pid in pids.items()}
            try:
                times[name].append(call(residents[name]))
            except WentAsync:
                times[name].append(5.0)  # past the passive-reply budget: counted as slow, as in the paced runs
            for proc, pid in pids.items():
                cpu[name][proc].append(cpu_seconds(pid) - before[proc])
    blocks = [(f"{a + 1}-{min(a + block, turns)}", slice(a, a + block)) for a in range(0, turns, block)]
    return {
        name: {
            "wall_ms": {key: statistics.median(times[name][part]) * 1000 for key, part in blocks},
            **{
                f"cpu_ms_{proc}": {key: statistics.mean(cpu[name][proc][part]) * 1000 for key, part in blocks}
                for proc in pids
            },
        }
        for name in calls
    }


def print_long(results: dict[str, dict[str, dict[str, float]]], base: str = "rasa_long") -> None:
    """The long conversation per target and block of turns: the wall time, what it adds to
    ``base``'s, and each process's CPU per turn."""
    blocks = list(results[base]["wall_ms"])
    print("long conversation, per block of turns (ms; wall: median; cpu: mean per turn):")
    for name, figures in results.items():
        print(f"  {name}")
        for key in blocks:
            added = f" ({figures['wall_ms'][key] - results[base]['wall_ms'][key]:+6.1f})" if name != base else ""
            cpu = "  ".join(
                f"{fig.removeprefix('cpu_ms_')} {figures[fig][key]:5.1f}"
                for fig in figures
                if fig.startswith("cpu_ms_")
            )
            print(f"    {key:>9s}  wall {figures['wall_ms'][key]:6.1f}{added}  cpu: {cpu}")


def sustained(call, residents: int, seconds: float) -> dict[str, float]:
    deadline = time.monotonic() + seconds
    times: list[float] = []
    errors = [0]
    went_async = [0]
    lock = threading.Lock()

    def resident_loop(i: int) -> None:
        openid = f"oBench{residents}x{i}{uuid.uuid4().hex[:8]}"
        while time.monotonic() < deadline:
            try:
                t = call(openid)
            except WentAsync:
                with lock:
                    went_async[0] += 1
                continue
            except Exception as exc:
                with lock:
                    errors[0] += 1
                    ERRORS[describe(exc)] += 1
                continue
            with lock:
                times.append(t)

    started = time.monotonic()
    with ThreadPoolExecutor(residents) as pool:
        list(pool.map(resident_loop, range(residents)))
    elapsed = time.monotonic() - started
    return {
        "residents": residents,
        "msgs_per_s": len(times) / elapsed,
        "median_ms": statistics.median(times) * 1000,
        "p99_ms": pct(times, 99) * 1000,
        "errors": errors[0],
        "answered_success": went_async[0],
        "n": len(times),
    }


def paced(call, residents: int, rate: float, seconds: float) -> dict[str, float]:
    """``residents`` people offering ``rate`` messages/s together: each waits for the answer,
    then pauses (exponential, mean ``residents / rate`` minus what the answer took)."""
    deadline = time.monotonic() + seconds
    times: list[float] = []
    failures = [0]
    lock = threading.Lock()
    mean_gap = residents / rate

    def resident_loop(i: int) -> None:
        rng = random.Random(i)
        openid = f"oPaced{residents}x{i}{uuid.uuid4().hex[:8]}"
        next_at = time.monotonic() + rng.uniform(0, mean_gap)
        while True:
            time.sleep(
                max(0.0, min(next_at, deadline) - time.monotonic())
            )  # not past the deadline: elapsed is the window
            if time.monotonic() >= deadline:
                return
            sent = time.monotonic()
            try:
                t = call(openid)
            except WentAsync:
                t = 5.0  # answered later through the customer-service API: counted as slow
            except Exception as exc:
                with lock:
                    failures[0] += 1
                    ERRORS[describe(exc)] += 1
                t = None
            if t is not None:
                with lock:
                    times.append(t)
            next_at = sent + rng.expovariate(1 / mean_gap)

    started = time.monotonic()
    with ThreadPoolExecutor(residents) as pool:
        list(pool.map(resident_loop, range(residents)))
    elapsed = time.monotonic() - started
    return {
        "residents": residents,
        "offered": rate,
        "msgs_per_s": len(times) / elapsed,
        "median_ms": statistics.median(times) * 1000 if times else 0.0,
        "p99_ms": pct(times, 99) * 1000 if times else 0.0,
        "errors": failures[0],
        "n": len(times),
    }


def pg_server() -> str:
    return normalise_url(os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://127.0.0.1:5432/test"))


def start_stack(model: Path, workdir: Path, rasa_instances: int = 1) -> tuple[dict[str, str], dict]:
    pg_url = pg_server()
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    names = {k: f"civic_bench_{k}_{uuid.uuid4().hex[:8]}" for k in ("pf", "bo")}
    with admin.connect() as conn:
        for name in names.values():
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    urls = {k: make_url(pg_url).set(database=n).render_as_string(hide_password=False) for k, n in names.items()}
    upgrade("platform", urls["pf"])
    upgrade("backoffice", urls["bo"])
    from backoffice.seed.load import seed

    seed(make_engine(urls["bo"]))
    redis_url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15").rsplit("/", 1)[0] + "/13"
    ports = {key: stack.free_port() for key in stack.DEFAULT_PORTS}
    env = stack.stack_env(
        {
            **os.environ,
            "DATABASE_URL": urls["pf"],
            "BACKOFFICE_DATABASE_URL": urls["bo"],
            "REDIS_URL": redis_url,
            "RASA_MODEL": str(model),
            "WECHAT_TOKEN": TOKEN,
            "WECHAT_ENCODING_AES_KEY": "",
            "RESIDENT_RATE_LIMIT": "0",
            "WEB_CHAT_ADDRESS_LIMIT": "0",  # every bench resident writes from 127.0.0.1
            "LOG_LEVEL": "WARNING",
            "RASA_TOKEN": "bench-rasa-token",
            "BACKOFFICE_TOKEN": "bench-bo-token",
        },
        ports,
    )
    extra_rasa = [stack.free_port() for _ in range(rasa_instances - 1)]
    env["RASA_URL"] = ",".join([env["RASA_URL"]] + [f"http://127.0.0.1:{port}" for port in extra_rasa])
    procs = {
        name: stack.start_process(name, env, workdir / "logs") for name in ("backoffice", "actions", "rasa", "web")
    }
    for n, port in enumerate(extra_rasa, start=2):
        procs[f"rasa{n}"] = stack.start_process("rasa", {**env, "RASA_PORT": str(port)}, workdir / "logs" / f"rasa{n}")

    def cleanup() -> None:
        for proc in procs.values():
            stack.stop_process(proc)
        with admin.connect() as conn:
            for name in names.values():
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    try:
        stack.wait_http(f"http://127.0.0.1:{ports['RASA_PORT']}/", 300, procs["rasa"])
        for n, port in enumerate(extra_rasa, start=2):
            stack.wait_http(f"http://127.0.0.1:{port}/", 300, procs[f"rasa{n}"])
        stack.wait_http(f"http://127.0.0.1:{ports['WEB_PORT']}/readyz", 60, procs["web"])
    except Exception:
        stack.print_log_tails(workdir / "logs")
        cleanup()
        raise
    return env, {"cleanup": cleanup, "procs": procs}


def single_turns(targets: Targets, args: argparse.Namespace) -> dict[str, Any]:
    """The sequential rounds and the routing point's own database work."""
    calls = {"rasa_seq": targets.rasa_alone, "web_rest_seq": targets.web_rest, "wechat_seq": targets.wechat}
    rounds = [sequential(calls, args.sequential) for _ in range(args.rounds)]
    pooled = {name: [t for r in rounds for t in r[name]] for name in calls}
    results: dict[str, dict[str, float]] = {
        name: {"n": len(t), "median_ms": statistics.median(t) * 1000, "p99_ms": pct(t, 99) * 1000}
        for name, t in pooled.items()
    }
    answering, recorded = routing_point.measure(pg_server())
    results["routing_point"] = {
        "n": len(answering),
        "median_ms": statistics.median(answering),
        "p95_ms": pct(answering, 95),
    }
    results["after_reply"] = {"n": len(recorded), "median_ms": statistics.median(recorded), "p95_ms": pct(recorded, 95)}
    return {"results": results, "pooled": pooled, "rounds": rounds}


def under_load(targets: Targets, args: argparse.Namespace) -> dict[str, Any]:
    """Saturation (closed loop) and the paced ladder, 20 and 100 residents."""
    results: dict[str, dict[str, float]] = {}
    for residents in (20, 100):
        results[f"rasa_{residents}"] = sustained(targets.rasa_alone, residents, args.seconds)
        results[f"wechat_{residents}"] = sustained(targets.wechat, residents, args.seconds)
    ladder: dict[int, list[dict[str, float]]] = {}
    for residents in (20, 100):
        ladder[residents] = []
        for rate in (float(r) for r in args.rates.split(",")):
            step = paced(targets.wechat, residents, rate, args.seconds)
            ladder[residents].append(step)
            results[f"paced_{residents}@{rate:g}"] = step
            if step["p99_ms"] > 4000:
                break
    return {"results": results, "ladder": ladder}


def print_single_turns(single: dict[str, Any], args: argparse.Namespace) -> None:
    results, pooled, rounds = single["results"], single["pooled"], single["rounds"]
    print(f"overhead (median, sequential): {overhead(pooled):+.1%}")
    if len(rounds) > 1:  # the spread between rounds is the figure's own noise on this machine
        print(f"overhead per round of {args.sequential}: " + ", ".join(f"{overhead(r):+.1%}" for r in rounds))
    extra = results["wechat_seq"]["median_ms"] - results["rasa_seq"]["median_ms"]
    routing_ms = results["routing_point"]["median_ms"]
    print(
        f"of which the WeChat protocol itself (vs the web REST channel): "
        f"{results['wechat_seq']['median_ms'] / results['web_rest_seq']['median_ms'] - 1:+.1%}"
    )
    print(
        f"the {extra:.1f} ms added per message: the routing point's database work before the reply {routing_ms:.1f} ms "
        f"(bench.routing_point, same run; {results['after_reply']['median_ms']:.1f} ms more after it), everything else "
        f"(HTTP hop, Flask, WeChat protocol, Redis) {extra - routing_ms:.1f} ms = "
        f"{(extra - routing_ms) / results['rasa_seq']['median_ms']:+.1%} of Rasa alone"
    )


def print_under_load(load: dict[str, Any]) -> None:
    results, ladder = load["results"], load["ladder"]
    for residents in (20, 100):
        w, r = results[f"wechat_{residents}"], results[f"rasa_{residents}"]
        print(f"throughput ratio at {residents}: {w['msgs_per_s'] / r['msgs_per_s']:.2f} (wechat / rasa alone)")
        for limit in (1000, 4000):
            within = [s["msgs_per_s"] for s in ladder[residents] if s["p99_ms"] <= limit and s["errors"] == 0]
            print(
                f"paced, {residents} residents: highest sustained rate with p99 <= {limit / 1000:g} s: "
                f"{max(within):.1f} msgs/s"
                if within
                else f"paced, {residents} residents: no step had p99 <= {limit / 1000:g} s"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=None, help="default: train (or reuse) the current data's model")
    parser.add_argument("--question", default=QUESTION, help="what every resident sends (你好: the cheapest turn)")
    parser.add_argument("--sequential", type=int, default=100)
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="sequential rounds (each figure pools them; the overhead is also given per round)",
    )
    parser.add_argument("--seconds", type=float, default=20.0, help="per saturation and paced step (0: skip them)")
    parser.add_argument("--rasa-instances", type=int, default=1)
    parser.add_argument(
        "--long-turns", type=int, default=200, help="turns of each target's one-resident long conversation (0: skip)"
    )
    parser.add_argument(
        "--long-only", action="store_true", help="only the long conversation (no sequential, saturation or paced part)"
    )
    parser.add_argument("--rates", default="5,10,15,20,25,30,40", help="paced offered rates (msgs/s), rising")
    args = parser.parse_args()
    model = args.model or train.train()
    single: dict[str, Any] = {}
    long: dict[str, dict[str, dict[str, float]]] = {}
    load: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        env, handle = start_stack(model, Path(tmp), args.rasa_instances)
        try:
            targets = Targets(env, args.question)
            for warm in range(5):  # load the model's lazy parts and the connection pools
                targets.wechat(f"oBenchWarm{warm}")
                targets.rasa_alone(f"oBenchWarm{warm}")
            if not args.long_only:
                single = single_turns(targets, args)
            if args.long_turns:
                long = long_conversation(
                    {"rasa_long": targets.rasa_alone, "web_rest_long": targets.web_rest, "wechat_long": targets.wechat},
                    args.long_turns,
                    {name: handle["procs"][name].pid for name in ("web", "rasa", "actions", "backoffice")},
                )
            if not args.long_only and args.seconds > 0:
                load = under_load(targets, args)
        finally:
            handle["cleanup"]()
    print(f"model {model.name}, cores {os.cpu_count()}, question {args.question!r}, load average {os.getloadavg()}")
    for name, r in {**single.get("results", {}), **load.get("results", {})}.items():
        print(f"{name:13s} " + "  ".join(f"{k}={v:.1f}" if isinstance(v, float) else f"{k}={v}" for k, v in r.items()))
    for error, count in ERRORS.most_common():
        print(f"error x{count}: {error}")
    if single:
        print_single_turns(single, args)
    if long:
        print_long(long)
    if load:
        print_under_load(load)


if __name__ == "__main__":
    main()
