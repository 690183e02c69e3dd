"""Fixtures for the cemetery tests: a migrated, seeded back-office, once on SQLite and once on PostgreSQL, and the
helpers to open a day of the season, shrink its slots and book as a verified resident."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine, delete
from sqlalchemy.orm import Session

from backoffice.app import create_app
from backoffice.cemetery import schedule
from backoffice.cemetery.models import CemeteryGate, CemeterySlot
from backoffice.marriage.calendar import today
from backoffice.seed.load import seed
from common import settings
from common.db import make_engine
from common.migrate import upgrade
from tests.marriage.people import Person, person, verified

TOKEN = "cemetery-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def season_days() -> list[date]:
    """The days of the season under way or next, from tomorrow (today's slots may be over)."""
    return [d for d in schedule.upcoming(today()).days() if d > today()]


@dataclass
class Backoffice:
    url: str
    engine: Engine
    client: FlaskClient

    def resident(self, openid: str) -> Person:
        someone = person("女", 60, "王秀兰")
        verified(self.engine, openid, someone)
        return someone

    def open_day(self, day: date) -> None:
        resp = self.client.put(f"/cemetery/openings/{day}", json={"opens_at": "2020-01-01T10:00"}, headers=AUTH)
        assert resp.status_code == 200, resp.json

    def shrink(self, cemetery: str, day: date, capacity: int) -> None:
        """Every slot of ``cemetery`` on ``day`` gets ``capacity`` places (made before any booking)."""
        with Session(self.engine) as sess, sess.begin():
            gates = sess.query(CemeteryGate).filter_by(cemetery_code=cemetery).all()
            sess.execute(
                delete(CemeterySlot).where(CemeterySlot.gate_code.in_([g.code for g in gates]), CemeterySlot.day == day)
            )
            for gate in gates:
                for t in gate.slots:
                    sess.add(
                        CemeterySlot(
                            gate_code=gate.code, day=day, start=t["start"], end=t["end"], capacity=capacity, booked=0
                        )
                    )

    def book(
        self,
        openid: str,
        day: date,
        gate: str,
        start: str,
        companions: int = 0,
        cemetery: str = "CEM-PT-01",
        key: str | None = None,
    ):
        body = {
            "openid": openid,
            "cemetery_code": cemetery,
            "date": day.isoformat(),
            "gate_code": gate,
            "start": start,
            "companions": companions,
        }
        headers = {**AUTH, **({"Idempotency-Key": key} if key else {})}
        return self.client.post("/cemetery/bookings", json=body, headers=headers)

    def mine(self, openid: str) -> dict:
        resp = self.client.get(f"/cemetery/bookings?openid={openid}", headers=AUTH)
        assert resp.status_code == 200, resp.json
        return resp.json


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def backoffice(request, tmp_path_factory, monkeypatch_module) -> Iterator[Backoffice]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('cemetery') / 'backoffice.db'}"
    else:
        url = request.getfixturevalue("postgres").create("civic_cemetery")
    upgrade("backoffice", url)
    engine = make_engine(url)
    seed(engine)
    monkeypatch_module.setenv("BACKOFFICE_DATABASE_URL", url)
    monkeypatch_module.setenv("BACKOFFICE_TOKEN", TOKEN)
    app = create_app(settings.load())
    yield Backoffice(url, engine, app.test_client())
    app.extensions["database"].engine.dispose()
    engine.dispose()


@pytest.fixture(scope="module")
def monkeypatch_module() -> Iterator[pytest.MonkeyPatch]:
    with pytest.MonkeyPatch.context() as mp:
        yield mp
