"""清明 at district scale: a day's cemetery visit slots opened to thousands of residents at once.

    .venv/bin/python -m bench.qingming [--residents 2000] [--arrival 60] [--cemetery CEM-BS-01]
        [--pg postgresql://127.0.0.1:5432/test] [--double-tap 0.05] [--cancel 20] [--chat 40]

A fresh PostgreSQL database is migrated and seeded; ``--residents`` registry residents are bound to WeChat
openids (verified, as only a verified resident books). The Procfile's back-office (gunicorn, 2 workers x 4
threads) serves them. The bureau announces the festival day's opening a few seconds ahead
(``PUT /cemetery/openings/{day}``); at that moment the residents start arriving, uniformly within
``--arrival`` seconds, each as the bot would act for them: read the day's slots, book one with room for their
party (1 to 4 people; a preferred time, else any gate and time with room), on ``slot_full`` read again and try
another, and when the day has no room left, join the waiting list. ``--double-tap`` of them send the booking
twice with different keys (a second tap after a timeout). Afterwards, from the database: every slot's
``booked`` equals the people of its live bookings and never exceeds its capacity, every slot is full when a
one-person party had to wait, nobody holds two bookings that day; then ``--cancel`` bookings are cancelled
and the freed places must go to the waiting list in the order it was joined. Prints p50/p99 of a booking
(the POST) and of the whole booking path (read + POST, retries included).

``--chat N``: N more residents, arriving in the same window, book through the live chat instead (the web app's
REST channel: routing point, Rasa, actions, back-office; the whole Procfile stack is started, on PostgreSQL, with
the trained model), answering the bot's questions as a resident would; the per-turn and per-booking times are
printed, and their bookings count in the checks.
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import requests
from requests.adapters import HTTPAdapter
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backoffice.cemetery import schedule
from backoffice.cemetery.models import CemeteryBooking, CemeteryGate, CemeterySlot, CemeteryWaiting
from backoffice.marriage.calendar import now, today
from backoffice.residents.models import Resident, WechatBinding
from backoffice.seed.load import seed
from backoffice.seed.people import make_id_number
from bench.policy_audience import create_db, drop_db
from bench.wechat_e2e import start_stack
from common.db import make_engine
from common.migrate import upgrade
from tools import stack, train

TOKEN = "qingming-bench-token"
PARTY = ((0, 0.4), (1, 0.3), (2, 0.2), (3, 0.1))  # companions and their share


@dataclass
class Outcome:
    openid: str
    companions: int
    booked: str = ""
    waiting: str = ""
    refused: str = ""
    post_seconds: list[float] = field(default_factory=list)
    path_seconds: float = 0.0
    second_tap: str = ""  # the error code a second booking attempt got


def residents(url: str, n: int, first: int = 0, sender: str = "oQM{:06d}") -> list[str]:
    """``n`` verified residents (registry rows bound to a sender each: a WeChat openid, or a web chat's)."""
    engine = make_engine(url)
    openids = []
    with Session(engine) as sess, sess.begin():
        template = sess.scalar(select(Resident).order_by(Resident.id).limit(1))
        for i in range(first, first + n):
            birth = date(1950, 1, 1) + timedelta(days=i // 500)
            gender = "男" if i % 2 else "女"
            resident = Resident(
                id_number=make_id_number("310113", birth, i, gender),
                name="祭扫" + "甲乙丙丁戊己庚辛壬癸"[i % 10],
                gender=gender,
                birth_date=birth,
                household_id=template.household_id,
                relation="其他",
                hukou_district_code="310113",
                hukou_community_code=template.hukou_community_code,
            )
            sess.add(resident)
            sess.flush()
            openid = sender.format(i)
            sess.add(WechatBinding(openid=openid, resident_id=resident.id))
            openids.append(openid)
    engine.dispose()
    return openids


class Resident_:
    """One resident acting as the bot acts for them."""

    def __init__(self, base: str, http: requests.Session, cemetery: str, day: str) -> None:
        self.base, self.http, self.cemetery, self.day = base, http, cemetery, day

    def slots(self) -> list[dict]:
        shown = self.http.get(
            f"{self.base}/cemeteries/{self.cemetery}/availability?from={self.day}&days=1", timeout=60
        ).json()
        return next(d for d in shown["days"] if d["date"] == self.day)["slots"]

    def post(self, path: str, body: dict, key: str, out: Outcome) -> requests.Response:
        started = time.perf_counter()
        resp = self.http.post(f"{self.base}{path}", json=body, headers={"Idempotency-Key": key}, timeout=60)
        if path == "/cemetery/bookings":
            out.post_seconds.append(time.perf_counter() - started)
        return resp

    def act(self, out: Outcome, rng: random.Random, double_tap: bool) -> None:
        started = time.perf_counter()
        people = 1 + out.companions
        tried: set[tuple[str, str]] = set()
        for _ in range(6):
            room = [s for s in self.slots() if s["free"] >= people and (s["gate_code"], s["start"]) not in tried]
            if not room:
                break
            preferred = [s for s in room if s["start"] < "11:00"]  # most want the morning
            s = rng.choice(preferred or room)
            tried.add((s["gate_code"], s["start"]))
            body = {
                "openid": out.openid,
                "cemetery_code": self.cemetery,
                "date": self.day,
                "gate_code": s["gate_code"],
                "start": s["start"],
                "companions": out.companions,
            }
            resp = self.post("/cemetery/bookings", body, uuid.uuid4().hex, out)
            if resp.status_code == 201:
                out.booked = resp.json()["number"]
                if double_tap:
                    again = self.post("/cemetery/bookings", body, uuid.uuid4().hex, out)
                    out.second_tap = again.json().get("error", str(again.status_code))
                break
            code = resp.json().get("error", str(resp.status_code))
            if code != "slot_full":
                out.refused = code
                break
        out.path_seconds = time.perf_counter() - started
        if not out.booked and not out.refused:
            body = {
                "openid": out.openid,
                "cemetery_code": self.cemetery,
                "date": self.day,
                "companions": out.companions,
            }
            resp = self.post("/cemetery/waitlist", body, uuid.uuid4().hex, out)
            if resp.status_code == 201:
                out.waiting = resp.json()["number"]
            else:
                out.refused = resp.json().get("error", str(resp.status_code))


CHAT_SCRIPT = (  # what the bot's last line asks → what the resident answers (the first that matches)
    ("预约成功", None),
    ("已经给您排上候补", None),
    ("所有时段都已经约满", "候补"),
    ("请核对", "确认"),
    ("入园时段", "1"),
    ("还有几位一起去", "就我一个"),
    ("能约的日子", "{day}"),
    ("哪个公墓", "1"),
)


@dataclass
class ChatOutcome:
    sender: str
    result: str = ""  # booked, waiting, or what the last reply was
    busy: int = 0  # "busy, send again in a few seconds" answers (the web chat's admission, docs/security.md)
    turn_seconds: list[float] = field(default_factory=list)
    seconds: float = 0.0


def chat_booking(web: str, out: ChatOutcome, day: str) -> None:
    """A resident books through the web app's REST channel (the routing point, Rasa, the actions, the
    back-office), answering each question as :data:`CHAT_SCRIPT` says."""
    http = requests.Session()
    started = time.perf_counter()
    said = "预约祭扫"
    for _ in range(40):
        t0 = time.perf_counter()
        resp = http.post(f"{web}/webhooks/rest/webhook", json={"sender": out.sender, "message": said}, timeout=120)
        out.turn_seconds.append(time.perf_counter() - t0)
        body = resp.json() if resp.headers.get("Content-Type", "").startswith("application/json") else {}
        if resp.status_code == 200:
            text = "\n".join(m.get("text") or "" for m in body)
        else:  # refused (the web chat's admission answers 429 with its busy text)
            text = body.get("message", "") if isinstance(body, dict) else resp.text
        if "忙" in text and "预约" not in text:  # the web chat sheds load ("我有点忙…请您等几秒钟再发一次"): as asked
            out.busy += 1
            time.sleep(float(resp.headers.get("Retry-After", "3")))
            continue
        answer = next(((key, reply) for key, reply in CHAT_SCRIPT if key in text), None)
        if answer is None:
            out.result = text[-80:]
            break
        if answer[1] is None:
            out.result = "booked" if answer[0] == "预约成功" else "waiting"
            break
        said = answer[1].format(day=day)
    out.seconds = time.perf_counter() - started


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def check(url: str, cemetery: str, day: date, outcomes: list[Outcome]) -> list[str]:
    """What the database holds must be what the rules promise; returns the failures."""
    engine = make_engine(url)
    failures = []
    with Session(engine) as sess:
        gates = [g.code for g in sess.scalars(select(CemeteryGate).where(CemeteryGate.cemetery_code == cemetery))]
        slots = list(
            sess.scalars(select(CemeterySlot).where(CemeterySlot.gate_code.in_(gates), CemeterySlot.day == day))
        )
        people = Counter()
        for b in sess.scalars(select(CemeteryBooking).where(CemeteryBooking.day == day, CemeteryBooking.active)):
            people[(b.gate_code, b.start)] += b.people
        lonely_waited = any(o.waiting and o.companions == 0 for o in outcomes)
        for s in slots:
            if s.booked != people[(s.gate_code, s.start)] or s.booked > s.capacity:
                failures.append(
                    f"{s.gate_code} {s.start}: booked {s.booked}, people {people[(s.gate_code, s.start)]}, capacity {s.capacity}"
                )
            if lonely_waited and s.booked != s.capacity:
                failures.append(
                    f"{s.gate_code} {s.start}: {s.capacity - s.booked} places left while a one-person party waited"
                )
        doubles = sess.execute(
            select(CemeteryBooking.id_number, func.count())
            .where(CemeteryBooking.day == day, CemeteryBooking.active)
            .group_by(CemeteryBooking.id_number)
            .having(func.count() > 1)
        ).all()
        if doubles:
            failures.append(f"{len(doubles)} residents hold two bookings")
        print(f"slots: {len(slots)}, places {sum(s.capacity for s in slots)}, taken {sum(s.booked for s in slots)}")
    engine.dispose()
    return failures


def cancel_and_refill(
    base: str, http: requests.Session, url: str, day: date, outcomes: list[Outcome], n: int
) -> list[str]:
    """Cancel ``n`` bookings; the freed places must go to the earliest waiting entries whose party fits."""
    engine = make_engine(url)
    with Session(engine) as sess:
        queue_before = [
            (w.number, w.companions)
            for w in sess.scalars(
                select(CemeteryWaiting)
                .where(CemeteryWaiting.day == day, CemeteryWaiting.status == "waiting")
                .order_by(CemeteryWaiting.id)
            )
        ]
    booked = [o for o in outcomes if o.booked][:n]
    freed = 0
    for o in booked:
        resp = http.post(f"{base}/cemetery/bookings/{o.booked}/cancel", json={"openid": o.openid}, timeout=60)
        assert resp.status_code == 200, resp.text
        freed += 1 + o.companions
    with Session(engine) as sess:
        promoted = [
            w.number
            for w in sess.scalars(
                select(CemeteryWaiting)
                .where(CemeteryWaiting.day == day, CemeteryWaiting.status == "booked")
                .order_by(CemeteryWaiting.id)
            )
        ]
    engine.dispose()
    failures = []
    if promoted:
        # In order: an entry before the last one served was skipped only if its party fit in no freed place, which
        # a one-person party always does.
        last = [number for number, _ in queue_before].index(promoted[-1])
        skipped = [c for number, c in queue_before[: last + 1] if number not in promoted]
        if 0 in skipped:
            failures.append("a one-person party was skipped on the waiting list")
    print(f"cancelled {len(booked)} bookings ({freed} places): {len(promoted)} waiting entries booked, in order")
    return failures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--residents", type=int, default=2000)
    parser.add_argument("--arrival", type=float, default=60.0)
    parser.add_argument("--cemetery", default="CEM-BS-01")
    parser.add_argument("--pg", default=os.environ.get("TEST_DATABASE_URL", "postgresql://127.0.0.1:5432/test"))
    parser.add_argument("--double-tap", type=float, default=0.05)
    parser.add_argument("--cancel", type=int, default=20)
    parser.add_argument("--threads", type=int, default=400)
    parser.add_argument(
        "--chat", type=int, default=0, help="residents who book through the live chat (starts the whole stack)"
    )
    args = parser.parse_args()

    handle: dict = {}
    url = ""
    try:
        if args.chat:
            env, handle = start_stack(train.train(), Path(tempfile.mkdtemp(prefix="qingming-")))
            url, base, token = env["BACKOFFICE_DATABASE_URL"], env["BACKOFFICE_URL"], env["BACKOFFICE_TOKEN"]
            web = f"http://127.0.0.1:{env['WEB_PORT']}"
        else:
            url = create_db(args.pg, "civic_qingming")
            upgrade("backoffice", url)
            seed(make_engine(url))
            port = stack.free_port()
            env = stack.stack_env(
                {
                    "REDIS_URL": "redis://127.0.0.1:6379/15",  # unused by the back-office; the environment needs one
                    **os.environ,
                    "BACKOFFICE_DATABASE_URL": url,
                    "BACKOFFICE_TOKEN": TOKEN,
                    "LOG_LEVEL": "WARNING",
                },
                {"BACKOFFICE_PORT": port, "WEB_PORT": 0, "RASA_PORT": 0, "ACTIONS_PORT": 0},
            )
            handle["procs"] = {
                "backoffice": stack.start_process("backoffice", env, Path(tempfile.mkdtemp(prefix="qingming-")))
            }
            base, token = f"http://127.0.0.1:{port}", TOKEN
            stack.wait_http(f"{base}/readyz", 60, handle["procs"]["backoffice"])
        openids = residents(url, args.residents)
        # the REST channel's sender "x" is the conversation "web:x" (web/channels/web_senders.py): bound as such
        chatters = [
            ChatOutcome(s.removeprefix("web:")) for s in residents(url, args.chat, args.residents, "web:oQMCHAT{:06d}")
        ]
        http = requests.Session()
        http.headers["Authorization"] = f"Bearer {token}"
        http.mount("http://", HTTPAdapter(pool_connections=4, pool_maxsize=args.threads))
        season = schedule.upcoming(today())
        day = season.term_day if season.term_day > today() else season.last
        opens = now() + timedelta(seconds=5)
        resp = http.put(
            f"{base}/cemetery/openings/{day}", json={"opens_at": opens.isoformat(timespec="seconds")}, timeout=30
        )
        assert resp.status_code == 200, resp.text
        rng = random.Random(24)
        outcomes = [Outcome(o, rng.choices([c for c, _ in PARTY], [w for _, w in PARTY])[0]) for o in openids]
        taps = set(rng.sample(range(len(outcomes)), int(args.double_tap * len(outcomes))))
        arrivals = sorted(rng.uniform(0, args.arrival) for _ in outcomes)
        start_at = time.monotonic() + (opens - now()).total_seconds() + 0.2
        resident = Resident_(base, http, args.cemetery, day.isoformat())

        chat_arrivals = [rng.uniform(0, args.arrival) for _ in chatters]

        def one(i: int) -> None:
            if i >= len(outcomes):
                j = i - len(outcomes)
                time.sleep(max(0.0, start_at + chat_arrivals[j] - time.monotonic()))
                try:
                    chat_booking(web, chatters[j], day.isoformat())
                except requests.RequestException as exc:
                    chatters[j].result = type(exc).__name__
                return
            time.sleep(max(0.0, start_at + arrivals[i] - time.monotonic()))
            try:
                resident.act(outcomes[i], random.Random(i), i in taps)
            except requests.RequestException as exc:  # counted, not fatal: the checks read the database
                outcomes[i].refused = type(exc).__name__

        print(
            f"{args.residents} residents, {args.cemetery} on {day} (opens {opens:%H:%M:%S}), arriving within {args.arrival:.0f} s"
        )
        t0 = time.monotonic()
        with ThreadPoolExecutor(max_workers=args.threads) as pool:
            list(pool.map(one, range(len(outcomes) + len(chatters))))
        took = time.monotonic() - t0
        posts = [s for o in outcomes for s in o.post_seconds]
        paths = [o.path_seconds for o in outcomes]
        print(f"all residents served in {took:.1f} s; booking POSTs: {len(posts)}")
        print(
            f"booked {sum(bool(o.booked) for o in outcomes)}, waiting list {sum(bool(o.waiting) for o in outcomes)}, "
            f"refused {Counter(o.refused for o in outcomes if o.refused)}"
        )
        print(f"second taps: {Counter(o.second_tap for o in outcomes if o.second_tap)}")
        print(
            f"booking POST  p50 {pct(posts, 0.5):.0f} ms  p99 {pct(posts, 0.99):.0f} ms  max {max(posts) * 1000:.0f} ms"
        )
        print(f"booking path  p50 {pct(paths, 0.5):.0f} ms  p99 {pct(paths, 0.99):.0f} ms (read + POST, retries)")
        if chatters:
            turns = [t for c in chatters for t in c.turn_seconds]
            booked_in_chat = [c.seconds for c in chatters if c.result == "booked"]
            print(f"through the chat: {len(chatters)} residents: {Counter(c.result for c in chatters)}")
            print(f"  'busy, send again' answers: {sum(c.busy for c in chatters)}")
            print(f"  one chat turn  p50 {pct(turns, 0.5):.0f} ms  p99 {pct(turns, 0.99):.0f} ms")
            if booked_in_chat:
                print(
                    f"  a whole booking in chat (6 turns)  p50 {pct(booked_in_chat, 0.5):.0f} ms  p99 {pct(booked_in_chat, 0.99):.0f} ms"
                )
        failures = check(url, args.cemetery, day, outcomes)
        failures += cancel_and_refill(base, http, url, day, outcomes, args.cancel)
        failures += check(url, args.cemetery, day, [o for o in outcomes if not o.waiting])
        print(
            "OK: exactly capacity per slot, no double holders, waiting list filled in order"
            if not failures
            else "FAILED:\n" + "\n".join(failures)
        )
        return 1 if failures else 0
    finally:
        if "cleanup" in handle:
            handle["cleanup"]()
        else:
            for proc in handle.get("procs", {}).values():
                stack.stop_process(proc)
            if url:
                drop_db(args.pg, url)


if __name__ == "__main__":
    raise SystemExit(main())
