"""Both databases on PostgreSQL, the back-office served over HTTP, and a resident's application to move on."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy.orm import Session, sessionmaker

from backoffice.app import create_app
from backoffice.residents.models import Resident, WechatBinding
from backoffice.seed.load import DEMO_OPENIDS, seed
from common import settings
from common.backoffice_client import BackofficeClient
from common.db import make_engine
from common.migrate import upgrade
from tests.serving import base_url, serve
from web.notify import Notifier
from web.outbound import Outbound

TOKEN = "status-updates-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
OPENID = DEMO_OPENIDS[0]


@dataclass
class Backoffice:
    url: str
    database_url: str
    client: BackofficeClient
    sessions: sessionmaker

    def bind(self, sender: str, like: str = OPENID) -> None:
        """``sender`` bound to the resident ``like`` is bound to (a web chat sign-in, say)."""
        with self.sessions.begin() as sess:
            resident_id = sess.get(WechatBinding, like).resident_id
            sess.add(WechatBinding(openid=sender, resident_id=resident_id))

    def apply(self, sender: str = OPENID, key: str = "su-1") -> str:
        with self.sessions() as sess:
            resident = sess.get(Resident, sess.get(WechatBinding, sender).resident_id)
            id_number = resident.id_number
        body = {
            "type": "低保",
            "applicant": {"id_number": id_number, "relation": "本人", "phone": "13912345678"},
            "community": "曹杨一村",
            "hardship": "老伴去世，没有收入",
            "consent": {"economic_check": True},
            "submitted_by_openid": sender,
            "channel": "wechat",
        }
        return self.client.post("/assistance/applications", body, idempotency_key=key)["case_no"]

    def move(self, case_no: str, status: str, reason: str = "") -> None:
        self.client.post(f"/assistance/applications/{case_no}/status", {"status": status, "reason": reason})


@pytest.fixture
def backoffice(postgres, monkeypatch) -> Iterator[Backoffice]:
    url = postgres.create("civic_su_bo")
    upgrade("backoffice", url)
    engine = make_engine(url)
    seed(engine)
    monkeypatch.setenv("BACKOFFICE_DATABASE_URL", url)
    monkeypatch.setenv("BACKOFFICE_TOKEN", TOKEN)
    server = serve(create_app(settings.load()))
    try:
        yield Backoffice(
            base_url(server), url, BackofficeClient(base_url(server), TOKEN, retries=0), sessionmaker(engine)
        )
    finally:
        server.shutdown()
        engine.dispose()


@pytest.fixture
def platform(postgres) -> Iterator[sessionmaker]:
    url = postgres.create("civic_su_pf")
    upgrade("platform", url)
    engine = make_engine(url)
    yield sessionmaker(engine, expire_on_commit=False)
    engine.dispose()


class Queued:
    """The Celery queue as the outbound service sees it: the tasks it was handed, in order."""

    def __init__(self) -> None:
        self.tasks: list[tuple[str, list]] = []

    def __call__(self, task: str, args: list) -> None:
        self.tasks.append((task, args))


@pytest.fixture
def told(platform, redis_client):
    """The platform's notifier over the platform database and real Redis, and the queue it hands tasks to."""
    queued = Queued()
    outbound = Outbound(platform, redis_client, queued)
    return platform, Notifier(outbound, redis_client), queued


def rows(sessions: sessionmaker, model, *where) -> list:
    from sqlalchemy import select

    with sessions() as sess:
        return list(sess.scalars(select(model).where(*where)))


__all__ = ["AUTH", "OPENID", "Backoffice", "Session", "rows"]
