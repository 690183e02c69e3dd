"""Does a flood of web chat turns make /wechat miss WeChat's 5-second deadline?

Starts the web process (the Procfile's gunicorn: 2 processes, 8 threads each) against a Rasa
stand-in whose every turn takes ``--bot-delay`` seconds (Rasa under load; the subject is the web
tier, so the bot's speed is fixed), PostgreSQL from TEST_DATABASE_URL and Redis db 13. WeChat
residents send signed ``POST /wechat`` messages one after another (``--residents``), and the share
of them answered within 5 s (a passive reply or ``success``: either keeps WeChat from retrying) is
what counts. Three runs, a fresh web process each:

* ``quiet``: no flood, admission control on (``WEB_CHAT_SLOTS`` at its default);
* ``flood``: ``--flood`` clients posting web chat turns as fast as they are answered, each request
  from a random address (``X-Forwarded-For`` through ``TRUSTED_PROXIES=1``, as a botnet would:
  the per-address limit does not stop it), admission control on;
* ``flood_unbounded``: the same flood with ``WEB_CHAT_SLOTS=1000``: no admission control.

The flood runs in its own process so that its threads do not slow the measuring ones.
Results: docs/performance.md, "Web chat flood and the WeChat deadline".

    .venv/bin/python -m bench.web_chat_flood [--seconds 20] [--flood 100] [--residents 4] [--bot-delay 1.0]
"""

from __future__ import annotations

import argparse
import itertools
import json
import logging
import multiprocessing
import os
import random
import statistics
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from bench.wechat_e2e import pct, pg_server
from common.migrate import upgrade
from common.settings import Settings
from tools import stack
from tools.wechat_standin import message_xml, wechat_signature

TOKEN = "bench-flood-token"
DEADLINE = 5.0  # WeChat's: no answer by then and it retries, then gives up
_msg_ids = itertools.count(int(time.time() * 1000) * 1000)


class SlowBot:
    """Rasa's channel format, every turn ``delay`` seconds long."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @Request.application
    def app(self, request: Request) -> Response:
        if request.method == "GET":
            return Response("Hello from the bench's Rasa stand-in")
        body = json.loads(request.get_data())
        time.sleep(self.delay)
        reply = [{"recipient_id": body["sender"], "text": f"收到：{body['message']}"}]
        return Response(json.dumps(reply), content_type="application/json")


def wechat_message(web: str, http: requests.Session, openid: str) -> tuple[float, str]:
    """One signed plaintext message: (seconds to the answer, "passive" | "success" | "error")."""
    ts, nonce = str(int(time.time())), uuid.uuid4().hex[:8]
    body = message_xml(
        {
            "ToUserName": "gh_bench",
            "FromUserName": openid,
            "CreateTime": int(ts),
            "MsgType": "text",
            "Content": "你好",
            "MsgId": next(_msg_ids),
        }
    )
    started = time.perf_counter()
    try:
        resp = http.post(
            web + "/wechat",
            data=body.encode(),
            params={"signature": wechat_signature(TOKEN, ts, nonce), "timestamp": ts, "nonce": nonce},
            timeout=30,
        )
    except requests.RequestException:
        return time.perf_counter() - started, "error"
    elapsed = time.perf_counter() - started
    if resp.status_code != 200:
        return elapsed, "error"
    return elapsed, "success" if resp.text == "success" else "passive"


def residents_loop(web: str, residents: int, seconds: float) -> list[tuple[float, str]]:
    """``residents`` WeChat users, each sending its next message a short pause after the answer."""
    deadline = time.monotonic() + seconds
    results: list[tuple[float, str]] = []
    lock = threading.Lock()

    def one(i: int) -> None:
        http, rng, openid = requests.Session(), random.Random(i), f"oFlood{i}{uuid.uuid4().hex[:10]}"
        while time.monotonic() < deadline:
            result = wechat_message(web, http, openid)
            with lock:
                results.append(result)
            time.sleep(rng.uniform(0.2, 0.6))

    threads = [threading.Thread(target=one, args=(i,)) for i in range(residents)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def flood(web: str, clients: int, seconds: float, out: Any) -> None:
    """In its own process: ``clients`` closed-loop web chat clients; puts the status counts in ``out``."""
    deadline = time.monotonic() + seconds
    statuses: Counter[str] = Counter()
    lock = threading.Lock()

    def client(i: int) -> None:
        http, rng = requests.Session(), random.Random(i)
        while time.monotonic() < deadline:
            address = f"{rng.randint(1, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
            try:
                resp = http.post(
                    web + "/webhooks/rest/webhook",
                    json={"sender": f"flood-{uuid.uuid4().hex[:12]}", "message": "你好"},
                    headers={"X-Forwarded-For": address},
                    timeout=30,
                )
                status = str(resp.status_code)
            except requests.RequestException as exc:
                status = type(exc).__name__
            with lock:
                statuses[status] += 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out.put(dict(statuses))


def start_web(env: dict[str, str], log_dir: Path, slots: int) -> tuple[Any, str]:
    env = {**env, "WEB_CHAT_SLOTS": str(slots)}
    proc = stack.start_process("web", env, log_dir)
    web = f"http://127.0.0.1:{env['WEB_PORT']}"
    stack.wait_http(web + "/readyz", 60, proc)
    http = requests.Session()
    for _ in range(5):  # connection pools, the danger classifier's first use
        wechat_message(web, http, "oFloodWarm")
    return proc, web


def run(env: dict[str, str], log_dir: Path, slots: int, args: argparse.Namespace, with_flood: bool) -> dict:
    proc, web = start_web(env, log_dir, slots)
    try:
        out: Any = multiprocessing.Queue()
        flooder = multiprocessing.Process(target=flood, args=(web, args.flood, args.seconds + 2, out))
        if with_flood:
            flooder.start()
            time.sleep(2)  # the flood is in full swing before WeChat's messages start
        results = residents_loop(web, args.residents, args.seconds)
        flooded = out.get() if with_flood else {}
        if with_flood:
            flooder.join()
    finally:
        stack.stop_process(proc)
    times = [t for t, _ in results]
    kinds = Counter(kind for _, kind in results)
    return {
        "wechat_n": len(results),
        "p50_ms": statistics.median(times) * 1000,
        "p99_ms": pct(times, 99) * 1000,
        "within_5s": sum(t < DEADLINE and kind != "error" for t, kind in results) / len(results),
        "passive": kinds["passive"],
        "success": kinds["success"],
        "errors": kinds["error"],
        "flood": flooded,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--flood", type=int, default=100, help="concurrent web chat clients")
    parser.add_argument("--residents", type=int, default=4, help="WeChat residents sending one after another")
    parser.add_argument("--bot-delay", type=float, default=1.0, help="seconds every bot turn takes")
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # not a line per stand-in turn
    bot = SlowBot(args.bot_delay)
    admin = create_engine(pg_server(), isolation_level="AUTOCOMMIT")
    name = f"civic_bench_flood_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    db_url = make_url(pg_server()).set(database=name).render_as_string(hide_password=False)
    results: dict[str, dict] = {}
    try:
        upgrade("platform", db_url)
        redis_url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15").rsplit("/", 1)[0] + "/13"
        ports = {"WEB_PORT": stack.free_port(), "RASA_PORT": 0, "ACTIONS_PORT": 0, "BACKOFFICE_PORT": 0}
        env = stack.stack_env(
            {
                **os.environ,
                "CIVIC_DEV": "1",
                "DATABASE_URL": db_url,
                "REDIS_URL": redis_url,
                "RASA_URL": bot.url,
                "WECHAT_TOKEN": TOKEN,
                "WECHAT_ENCODING_AES_KEY": "",
                "RESIDENT_RATE_LIMIT": "0",  # bench residents write far faster than people do
                "WEB_CHAT_ADDRESS_LIMIT": "60/minute",  # the default: each flood request has an address of its own
                "TRUSTED_PROXIES": "1",  # the flood's X-Forwarded-For is believed, as behind the proxy
                "LOG_LEVEL": "WARNING",
            },
            ports,
        )
        default_slots = Settings.web_chat_slots
        with tempfile.TemporaryDirectory() as tmp:
            log_dir = Path(tmp) / "logs"
            try:
                results["quiet"] = run(env, log_dir, default_slots, args, with_flood=False)
                results["flood"] = run(env, log_dir, default_slots, args, with_flood=True)
                results["flood_unbounded"] = run(env, log_dir, 1000, args, with_flood=True)
            except Exception:
                stack.print_log_tails(log_dir)
                raise
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        bot.server.shutdown()
    print(
        f"cores {os.cpu_count()}, {args.seconds:g} s per run, {args.residents} WeChat residents, "
        f"flood {args.flood} clients, every bot turn {args.bot_delay:g} s, WEB_CHAT_SLOTS {default_slots}"
    )
    for label, r in results.items():
        print(
            f"{label:16s} wechat n={r['wechat_n']} p50={r['p50_ms']:.0f} ms p99={r['p99_ms']:.0f} ms "
            f"within 5 s={r['within_5s']:.1%} (passive {r['passive']}, success {r['success']}, "
            f"errors {r['errors']})  web chat: {r['flood'] or '-'}"
        )


if __name__ == "__main__":
    main()
