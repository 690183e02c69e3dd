"""Rasa instances that come and go, measured: three real Rasa processes behind the web app, one
killed with SIGKILL under load; then the share of conversations a fourth instance would take.

Starts back-office, actions, web and three Rasa processes from the Procfile (as
``bench.wechat_e2e --rasa-instances 3`` does: PostgreSQL from TEST_DATABASE_URL, Redis db 13),
then ``--residents`` residents write through the web app's REST channel (the routing point every
channel shares; the web app's RasaClient picks the instance) in a closed loop, each sending its
next message the moment the previous is answered. After ``--kill-after`` seconds one Rasa process
is killed with SIGKILL (no goodbye, turns in flight die with it); the load goes on for
``--seconds`` in all. Figures:

* messages sent, answered, and lost (no answer, or the "系统现在有点忙" reply the platform gives
  when no Rasa instance answers): the goal is 0 lost;
* p50 / p99 / max of a message before the kill, in the 10 s from it (the failover), and after;
* the share of conversations that move when a fourth instance is added to the three, over the
  bench's residents and over 100 000 sender ids (rendezvous hashing: the goal is about a quarter).

    .venv/bin/python -m bench.rasa_failover [--residents 30] [--seconds 60] [--kill-after 20]

Results: docs/deployment.md ("Rasa instances that come and go").
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import tempfile
import threading
import time
import uuid
from pathlib import Path

import requests

from bench.wechat_e2e import start_stack
from tools import train
from web.conversations.router import BOT_BUSY
from web.rasa_client import ranked_instances

MESSAGES = ("你好", "高龄津贴怎么领", "结婚登记要带什么材料", "谢谢")


def _percentiles(times: list[float]) -> str:
    if not times:
        return "no messages"
    ordered = sorted(times)
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
    return (
        f"n={len(ordered):4d}  p50 {statistics.median(ordered) * 1000:6.0f} ms  "
        f"p99 {p99 * 1000:6.0f} ms  max {ordered[-1] * 1000:6.0f} ms"
    )


def _share_moved(senders: list[str], three: tuple[str, ...]) -> float:
    four = (*three, "http://127.0.0.1:1")
    return sum(ranked_instances(three, s)[0] != ranked_instances(four, s)[0] for s in senders) / len(senders)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=None, help="default: train (or reuse) the current data's model")
    parser.add_argument("--residents", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--kill-after", type=float, default=20.0)
    args = parser.parse_args()
    model = args.model or train.train()
    # bench residents all write from one address, far faster than people do: the web chat's
    # per-address limit and its turns-at-once admission (docs/security.md rule 5) are lifted
    os.environ["WEB_CHAT_ADDRESS_LIMIT"] = "1000000/minute"
    os.environ["WEB_CHAT_SLOTS"] = "64"
    with tempfile.TemporaryDirectory() as tmp:
        env, handle = start_stack(model, Path(tmp), rasa_instances=3)
        try:
            run(env, handle["procs"], args)
        finally:
            handle["cleanup"]()


def run(env: dict[str, str], procs: dict, args: argparse.Namespace) -> None:
    web = f"http://127.0.0.1:{env['WEB_PORT']}/webhooks/rest/webhook"
    urls = tuple(env["RASA_URL"].split(","))
    residents = [f"oFailover{uuid.uuid4().hex[:10]}" for _ in range(args.residents)]
    victim_url = urls[1]  # the second instance: the Procfile's command on its own port ("rasa2")
    homed_there = [r for r in residents if ranked_instances(urls, r)[0] == victim_url]
    records: list[tuple[float, float, bool, str]] = []  # (sent at, seconds, answered, resident)
    why_lost: list[str] = []
    lock = threading.Lock()
    started = time.monotonic()
    stop_at = started + args.seconds

    def resident(sender: str) -> None:
        http = requests.Session()
        turn = 0
        while time.monotonic() < stop_at:
            text = MESSAGES[turn % len(MESSAGES)]
            turn += 1
            sent = time.monotonic()
            try:
                resp = http.post(web, json={"sender": sender, "message": text}, timeout=60)
                lines = [m.get("text", "") for m in resp.json()] if resp.status_code == 200 else []
                answered = bool(lines) and BOT_BUSY not in lines
                why = "" if answered else f"{resp.status_code} {lines[:1]}"
            except (requests.RequestException, ValueError) as exc:
                answered, why = False, type(exc).__name__
            with lock:
                records.append((sent - started, time.monotonic() - sent, answered, sender))
                if why:
                    why_lost.append(why)

    for warm in residents[:5]:  # each instance's lazy parts, before the clock starts
        requests.post(web, json={"sender": warm + "w", "message": "你好"}, timeout=120)
    threads = [threading.Thread(target=resident, args=(r,)) for r in residents]
    for thread in threads:
        thread.start()
    time.sleep(args.kill_after)
    killed_at = time.monotonic() - started
    os.kill(procs["rasa2"].pid, signal.SIGKILL)
    for thread in threads:
        thread.join()

    lost = [r for r in records if not r[2]]
    print(f"three Rasa instances, {args.residents} residents in a closed loop for {args.seconds:.0f} s")
    print(
        f"SIGKILL of {victim_url} at {killed_at:.1f} s; {len(homed_there)} of the residents' conversations lived there"
    )
    print(f"messages sent {len(records)}, answered {len(records) - len(lost)}, lost {len(lost)}")
    for (when, seconds, _, sender), why in list(zip(lost, why_lost))[:10]:
        print(f"  lost: {sender} at {when:.1f} s after {seconds:.1f} s: {why}")
    windows = {
        "before the kill": [r[1] for r in records if r[0] < killed_at and r[2]],
        "failover (10 s from the kill)": [r[1] for r in records if killed_at <= r[0] < killed_at + 10 and r[2]],
        "after": [r[1] for r in records if r[0] >= killed_at + 10 and r[2]],
    }
    for name, times in windows.items():
        print(f"{name:30s} {_percentiles(times)}")
    moved_conversations = [r for r in homed_there if any(rec[3] == r and rec[0] >= killed_at for rec in records)]
    print(f"conversations of the killed instance that went on elsewhere: {len(moved_conversations)}/{len(homed_there)}")
    ids = [f"o{uuid.uuid4().hex[:27]}" for _ in range(100_000)]
    print(
        f"a fourth instance added: {_share_moved(residents, urls):.1%} of the bench's conversations move, "
        f"{_share_moved(ids, urls):.1%} of 100 000 sender ids (goal: about 25 %)"
    )


if __name__ == "__main__":
    main()
