"""The back-office in-process on a seeded database, for the funeral and disability API tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from actions import services
from backoffice.residents.models import Resident, WechatBinding
from backoffice.seed.load import DEMO_OPENIDS, seed
from common.backoffice_client import BackofficeError
from common.db import make_engine
from common.migrate import upgrade
from tests.conftest import backoffice_test_client

TOKEN = "benefits-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
ME = DEMO_OPENIDS[0]


@pytest.fixture
def backoffice(db_url, monkeypatch) -> Iterator[tuple]:
    upgrade("backoffice", db_url)
    engine = make_engine(db_url)
    seed(engine)
    yield backoffice_test_client(db_url, TOKEN, monkeypatch), engine
    engine.dispose()


class InProcess:
    """The BackofficeClient interface over the back-office's Flask test client, for the actions."""

    def __init__(self, client) -> None:
        self.client = client

    def _reply(self, resp) -> dict[str, Any]:
        if resp.status_code >= 400:
            raise BackofficeError(resp.status_code, resp.json["error"], resp.json["message"])
        return resp.json

    def get(self, path: str, **params: Any) -> dict[str, Any]:
        return self._reply(self.client.get(path, query_string=params, headers=AUTH))

    def post(self, path: str, body: dict, idempotency_key: str | None = None) -> dict[str, Any]:
        headers = {**AUTH, **({"Idempotency-Key": idempotency_key} if idempotency_key else {})}
        return self._reply(self.client.post(path, json=body, headers=headers))


@pytest.fixture
def actions_backoffice(backoffice, monkeypatch) -> tuple:
    """The actions talk to the in-process back-office (what ``backoffice`` gives, returned as it is)."""
    client, _engine = backoffice
    monkeypatch.setattr(services, "client", lambda: InProcess(client))
    return backoffice


def post(client, body: dict, key: str):
    return client.post("/benefits/applications", json=body, headers={**AUTH, "Idempotency-Key": key})


def me(engine: Engine, openid: str = ME) -> Resident:
    with Session(engine) as sess:
        resident = sess.get(Resident, sess.get(WechatBinding, openid).resident_id)
        sess.expunge(resident)
        return resident


def bind_stranger(engine: Engine, household_id: int, openid: str) -> Resident:
    """Bind ``openid`` to an adult of another household."""
    with Session(engine) as sess:
        other = sess.scalar(
            select(Resident)
            .where(Resident.household_id != household_id, Resident.phone != "")
            .order_by(Resident.id.desc())
            .limit(1)
        )
        sess.add(WechatBinding(openid=openid, resident_id=other.id))
        sess.commit()
        sess.refresh(other)
        sess.expunge(other)
        return other
