"""No overbooking, ever: concurrent bookings against a real back-office server process.

The server is the Procfile's gunicorn command (2 workers x 4 threads, each worker with its
own connection pool); 200 threads fire at once at a slot with 10 places.
"""

from __future__ import annotations

import os
import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import pytest
import requests
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from backoffice.marriage.models import MarriageAppointment, MarriageSlot
from backoffice.seed.load import seed
from common.db import make_engine
from common.migrate import upgrade
from tests.marriage.people import person, verified
from tools import stack

TOKEN = "contention-token"
PLACES = 10


@pytest.fixture(params=["postgresql", "sqlite"])
def server(request, tmp_path: Path) -> Iterator[tuple[str, str]]:
    if request.param == "postgresql":
        url = request.getfixturevalue("postgres").create("civic_contention")
    else:
        url = f"sqlite:///{tmp_path / 'backoffice.db'}"
    upgrade("backoffice", url)
    seed(make_engine(url))
    port = stack.free_port()
    env = stack.stack_env(
        {
            **os.environ,
            "BACKOFFICE_DATABASE_URL": url,
            "BACKOFFICE_TOKEN": TOKEN,
            "REDIS_URL": os.environ["TEST_REDIS_URL"],
            "LOG_LEVEL": "WARNING",
        },
        {"BACKOFFICE_PORT": port, "WEB_PORT": 0, "RASA_PORT": 0, "ACTIONS_PORT": 0},
    )
    proc = stack.start_process("backoffice", env, tmp_path / "logs")
    try:
        stack.wait_http(f"http://127.0.0.1:{port}/readyz", 60, proc)
        yield f"http://127.0.0.1:{port}", url
    finally:
        stack.stop_process(proc)


def first_open_day(base: str) -> str:
    days = requests.get(
        f"{base}/offices/BS-MR-01/availability?days=30", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10
    ).json()["days"]
    return next(d["date"] for d in days if d["open"] and not d["peak"])  # 10 places at 09:00 on an ordinary day


def fire(base: str, bodies: list[dict], keys: list[str | None]) -> list[requests.Response]:
    barrier = threading.Barrier(len(bodies))

    def one(i: int) -> requests.Response:
        headers = {"Authorization": f"Bearer {TOKEN}", **({"Idempotency-Key": keys[i]} if keys[i] else {})}
        barrier.wait()
        return requests.post(f"{base}/marriage/appointments", json=bodies[i], headers=headers, timeout=120)

    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        return list(pool.map(one, range(len(bodies))))


def booking(engine: Engine, day: str, i: int) -> dict:
    """Resident i (verified on WeChat, as only a verified resident may book) books with their partner."""
    man, woman = person("男", 30, "甲" + str(i)), person("女", 28, "乙" + str(i))
    verified(engine, f"oCrowd{i}", man)
    return {
        "openid": f"oCrowd{i}",
        "office_code": "BS-MR-01",
        "service": "结婚",
        "date": day,
        "start": "09:00",
        "parties": [man.as_party(), woman.as_party()],
        "phone": "13912345678",
    }


def test_200_concurrent_bookings_at_10_places_leave_exactly_10(server):
    base, url = server
    day = first_open_day(base)
    count = 200 if url.startswith("postgresql") else 60  # SQLite serialises writers; fewer keep the run short
    engine = make_engine(url)
    bodies = [booking(engine, day, i) for i in range(count)]
    engine.dispose()
    responses = fire(base, bodies, [f"crowd-{i}" for i in range(count)])
    outcomes = Counter((r.status_code, r.json().get("error")) for r in responses)
    assert outcomes == {(201, None): PLACES, (409, "slot_full"): count - PLACES}, outcomes
    with Session(make_engine(url)) as sess:
        slot = sess.scalar(
            select(MarriageSlot).where(
                MarriageSlot.office_code == "BS-MR-01",
                MarriageSlot.day == date.fromisoformat(day),
                MarriageSlot.start == "09:00",
            )
        )
        assert (slot.capacity, slot.booked) == (PLACES, PLACES)
        assert (
            sess.scalar(
                select(func.count())
                .select_from(MarriageAppointment)
                .where(MarriageAppointment.day == date.fromisoformat(day), MarriageAppointment.start == "09:00")
            )
            == PLACES
        )
    numbers = {r.json()["number"] for r in responses if r.status_code == 201}
    assert len(numbers) == PLACES


def test_the_same_request_retried_concurrently_creates_one_appointment(server):
    base, url = server
    day = first_open_day(base)
    engine = make_engine(url)
    body = booking(engine, day, 9999)
    engine.dispose()
    responses = fire(base, [body] * 20, ["same-key"] * 20)
    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["number"] for r in responses}) == 1
    with Session(make_engine(url)) as sess:
        assert sess.scalar(select(func.count()).select_from(MarriageAppointment)) == 1
