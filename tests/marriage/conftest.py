"""Fixtures for the marriage tests: a migrated, seeded back-office, once on SQLite and once on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine

from backoffice.app import create_app
from backoffice.seed.load import seed
from common import settings
from common.db import make_engine
from common.masking import is_valid_id_number
from common.migrate import upgrade
from tests.marriage.people import Person, verified

TOKEN = "marriage-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@dataclass
class Backoffice:
    url: str
    engine: Engine
    client: FlaskClient

    def open_days(self, office: str = "PT-MR-01", days: int = 30) -> list[dict]:
        resp = self.client.get(f"/offices/{office}/availability?days={days}", headers=AUTH)
        assert resp.status_code == 200, resp.json
        return [d for d in resp.json["days"] if d["open"]]

    def verify(self, openid: str, someone: Person) -> None:
        verified(self.engine, openid, someone)

    def book(self, body: dict, key: str | None = None, as_party: bool = True):
        """``as_party``: the sender books as a verified resident who is the first party (bound to them first)."""
        first = (body.get("parties") or [{}])[0]
        if as_party and body.get("openid") and is_valid_id_number(first.get("id_number", "")):
            self.verify(body["openid"], Person(first["name"], first["id_number"]))
        headers = {**AUTH, **({"Idempotency-Key": key} if key else {})}
        return self.client.post("/marriage/appointments", json=body, headers=headers)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def backoffice(request, tmp_path_factory, monkeypatch_module) -> Iterator[Backoffice]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('marriage') / 'backoffice.db'}"
    else:
        url = request.getfixturevalue("postgres").create("civic_marriage")
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
