"""The back-office in-process on a seeded database, for the funeral and disability API tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from actions import services
from backoffice.residents.models import Resident, WechatBinding
from backoffice.seed.load import DEMO_OPENIDS, seed
from common.db import make_engine
from common.migrate import upgrade
from tests.conftest import backoffice_test_client
from tests.in_process_backoffice import InProcessBackoffice

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


@pytest.fixture
def actions_backoffice(backoffice, monkeypatch) -> tuple:
    """The actions talk to the in-process back-office (what ``backoffice`` gives, returned as it is)."""
    client, _engine = backoffice
    monkeypatch.setattr(services, "client", lambda: InProcessBackoffice(client, AUTH))
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
