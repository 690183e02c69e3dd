"""The session cookie (the console's sign-in) is SameSite=Lax and HttpOnly, and Secure when the
platform is served over https (security review, item 7: ``setdefault`` left Flask's None in place)."""

from __future__ import annotations

import dataclasses

import pytest

from common import settings
from tests.admin.conftest import PASSWORD, csrf_token

pytestmark = pytest.mark.usefixtures("redis_client")


def signed_in_cookie(flask_app, base_url: str) -> list[str]:
    client = flask_app.test_client()
    page = client.get("/console/login", base_url=base_url)
    token = csrf_token(client, "/console/login") if page.status_code == 200 else ""
    resp = client.post(
        "/console/login",
        base_url=base_url,
        headers={"Referer": f"{base_url}/console/login"},  # Flask-WTF checks it over https
        data={"username": "boss", "password": PASSWORD, "csrf_token": token},
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)[:300]
    cookies = [c for c in resp.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert cookies, resp.headers
    return [{part.strip().lower() for part in c.split(";")[1:]} for c in cookies]


def test_the_console_login_sets_a_lax_http_only_cookie_not_secure_over_http(app):
    for attributes in signed_in_cookie(app, "http://localhost"):
        assert "samesite=lax" in attributes and "httponly" in attributes
        assert "secure" not in attributes  # the http stack (make run, tests) must keep its session


def test_over_https_the_cookie_is_secure_too(app, db_url, redis_url):
    from web.app import create_app

    config = dataclasses.replace(
        settings.load(),
        database_url=db_url,
        redis_url=redis_url,
        rasa_urls=("http://127.0.0.1:9",),
        secret_key="test-secret",
        public_base_url="https://mz.example.gov.cn",
    )
    served = create_app(config)
    try:
        for attributes in signed_in_cookie(served, "https://localhost"):
            assert {"samesite=lax", "httponly", "secure"} <= attributes
    finally:
        served.extensions["database"].engine.dispose()
