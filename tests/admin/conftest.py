"""The web app for the admin pages (Flask's test client): a migrated platform database with
the analytics fixture's events, one account per role, the seeded demo registry, and the
back-office's handbook API stood in."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterator

import pytest
from sqlalchemy.orm import sessionmaker
from werkzeug.wrappers import Request, Response

from common import settings
from common.db import make_engine
from common.migrate import upgrade
from tests.analytics.conftest import load_fixture
from tests.serving import served
from web.console import accounts

PASSWORD = "admin-pages-password"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
ENTRY = {
    "id": 1,
    "slug": "adoption",
    "topic": "adoption",
    "title": "收养登记",
    "body": "到区婚姻（收养）登记处办理。",
    "conditions": "",
    "how_to_apply": "",
    "contact": "021-12345678",
    "source": "收养登记办法",
    "next_step": "",
    "documents": ["户口本"],
    "keywords": ["收养"],
    "effective_date": None,
    "district_code": None,
    "updated_at": "2026-11-01",
    "updated_by": "seed",
}


@Request.application
def backoffice(request: Request) -> Response:
    """The back-office's handbook API, as far as the admin pages read it."""
    body = {"entries": [ENTRY]} if request.path == "/handbook/entries" else ENTRY
    return Response(json.dumps(body, ensure_ascii=False), content_type="application/json")


@pytest.fixture
def sessions(db_url) -> sessionmaker:
    upgrade("platform", db_url)
    return sessionmaker(make_engine(db_url), expire_on_commit=False)


def web_app(sessions: sessionmaker, db_url: str, redis_url: str, backoffice_url: str, registry_url: str, **more):
    """The platform's web app for the admin pages, with one account per role (agent 小王, supervisor 李主管,
    admin), talking to the back-office at ``backoffice_url``; ``more``: other settings (a token)."""
    from web.app import create_app

    with sessions.begin() as sess:
        accounts.create(sess, "agent", PASSWORD, "agent", "小王")
        accounts.create(sess, "boss", PASSWORD, "supervisor", "李主管")
        accounts.create(sess, "root", PASSWORD, "admin", "管理员")
    config = dataclasses.replace(
        settings.load(),
        database_url=db_url,
        redis_url=redis_url,
        rasa_urls=("http://127.0.0.1:9",),
        backoffice_url=backoffice_url,
        registry_database_url=registry_url,
        secret_key="test-secret",
        **more,
    )
    flask_app = create_app(config)
    flask_app.config["TESTING"] = True
    return flask_app


@pytest.fixture
def app(db_url, sessions, redis_client, redis_url, seeded_backoffice_url) -> Iterator:
    load_fixture(sessions)
    with served(backoffice) as backoffice_url:
        flask_app = web_app(sessions, db_url, redis_url, backoffice_url, seeded_backoffice_url)
        yield flask_app
        flask_app.extensions["database"].engine.dispose()


def csrf_token(client, path: str = "/console/login") -> str:
    return CSRF.search(client.get(path).get_data(as_text=True)).group(1)


@pytest.fixture
def signed_in(app):
    """``signed_in("boss")`` → a test client signed in as that account, and its CSRF token."""

    return lambda username: sign_in(app, username)


def sign_in(app, username: str):
    """A test client signed in as ``username``, and its CSRF token."""
    client = app.test_client()
    resp = client.post(
        "/console/login", data={"username": username, "password": PASSWORD, "csrf_token": csrf_token(client)}
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)
    return client, csrf_token(client, "/console/")
