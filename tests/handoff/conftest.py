"""Fixtures for the handoff desk: a migrated platform database, a stand-in for Rasa's HTTP
API and the back-office (the subject is the desk; the live-stack tests use the real ones),
the web app on them, and signed-in console clients."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterator

import pytest
from sqlalchemy import delete
from sqlalchemy.orm import sessionmaker
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from common import settings
from common.db import make_engine
from common.migrate import upgrade
from tests.serving import served
from web.console import accounts
from web.handoff.models import WorkingHours

PASSWORD = "correct horse battery"
BOUND_OPENID = "oBound0001"
RESIDENT = {
    "id": 7,
    "id_number": "310107194506121234",
    "name": "王秀英",
    "gender": "女",
    "age": 80,
    "phone": "13812345678",
    "benefits": ["高龄津贴"],
    "living_alone": True,
    "disability_grade": 0,
    "household": {"address": "宜川路 100 弄 3 号 502 室", "members": [{"id": 7, "name": "王秀英"}]},
}


class StandIn:
    """Answers like Rasa (webhook, tracker, tracker/events) and the back-office's
    resident look-up and binding status, and records every call."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, dict]] = []
        self.webhook_reply: list[dict] = [{"recipient_id": "x", "text": "您好"}]
        self.events_failing = 0  # the next N tracker events (pause, resume) answer 500; -1: every one
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    @Request.application
    def app(self, request: Request) -> Response:
        body = json.loads(request.get_data() or b"null") or {}
        self.calls.append((request.method, request.path, body))
        if request.path.startswith("/webhooks/"):
            return self._json(self.webhook_reply)
        if request.path.startswith("/residents/by-openid/"):
            if request.path.endswith(BOUND_OPENID):
                return self._json(RESIDENT)
            return self._json({"error": "not_bound", "message": "这个微信号还没有实名绑定"}, 404)
        if request.path.startswith("/identity/bindings/"):
            if request.method == "GET" and request.path.endswith(BOUND_OPENID):
                return self._json(
                    {
                        "sender": BOUND_OPENID,
                        "resident_id": RESIDENT["id"],
                        "masked_name": "王**",
                        "bound_at": "2026-12-01T10:00:00",
                        "method": "sms_otp",
                    }
                )
            return self._json({"error": "not_bound", "message": "这个微信号还没有实名绑定"}, 404)
        if request.path.endswith("/tracker/events"):
            if self.events_failing:
                self.events_failing -= self.events_failing > 0
                return self._json({"status": "failure", "message": "tracker store down"}, 500)
            return self._json({"events": []})
        if request.path.endswith("/tracker"):
            return self._json(
                {
                    "sender_id": "x",
                    "paused": True,
                    "slots": {"marriage_type": "结婚", "phone": "13812345678", "marriage_reference": "MB20261202001"},
                    "latest_message": {"intent": {"name": "human_handoff"}},
                    "events": [
                        {
                            "event": "user",
                            "text": "/human_handoff",
                            "parse_data": {"intent": {"name": "human_handoff", "confidence": 1.0}},
                        },
                        {"event": "bot", "text": "您的预约号：MB20261202001"},
                    ],
                }
            )
        return self._json({"ok": True})

    @staticmethod
    def _json(data, status: int = 200) -> Response:
        return Response(json.dumps(data, ensure_ascii=False), status=status, content_type="application/json")

    def paths(self, method: str | None = None) -> list[str]:
        return [p for m, p, _ in self.calls if method in (None, m)]


@pytest.fixture
def stand_in() -> Iterator[StandIn]:
    s = StandIn()
    with served(s.server):
        yield s


@pytest.fixture
def platform_url(db_url) -> str:
    upgrade("platform", db_url)
    return db_url


@pytest.fixture
def sessions(platform_url) -> sessionmaker:
    return sessionmaker(make_engine(platform_url), expire_on_commit=False)


def open_all_day(sess) -> None:
    """Working hours around the clock, every day and on holidays (tests must not depend on the hour)."""
    sess.execute(delete(WorkingHours))
    for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun", "holiday"):
        sess.add(WorkingHours(day=day, opens="00:00", closes="24:00"))


@pytest.fixture
def app(platform_url, sessions, stand_in, redis_client, redis_url):
    from web.app import create_app

    with sessions.begin() as sess:
        open_all_day(sess)
        accounts.create(sess, "agent_a", PASSWORD, "agent", "张丽", group="救助组")
        accounts.create(sess, "agent_b", PASSWORD, "agent", "李强", group="婚姻组")
        accounts.create(sess, "agent_free", PASSWORD, "agent", "赵敏")
        accounts.create(sess, "boss", PASSWORD, "supervisor", "陈主管")
        accounts.create(sess, "root", PASSWORD, "admin", "管理员")
    config = dataclasses.replace(
        settings.load(),
        database_url=platform_url,
        redis_url=redis_url,
        rasa_urls=(stand_in.url,),
        backoffice_url=stand_in.url,
        secret_key="test-secret",
    )
    flask_app = create_app(config)
    flask_app.config["TESTING"] = True
    yield flask_app
    flask_app.extensions["database"].engine.dispose()


CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(client, path: str = "/console/login") -> str:
    return CSRF.search(client.get(path).get_data(as_text=True)).group(1)


def login(client, username: str, password: str = PASSWORD):
    return client.post(
        "/console/login", data={"username": username, "password": password, "csrf_token": csrf_token(client)}
    )


@pytest.fixture
def signed_in(app):
    """``signed_in("agent_a")`` → a test client signed in as that account, and its CSRF token."""

    def make(username: str):
        client = app.test_client()
        resp = login(client, username)
        assert resp.status_code == 302, resp.get_data(as_text=True)
        return client, csrf_token(client, "/console/")

    return make
