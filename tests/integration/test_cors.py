"""Cross-origin access to the web chat (issue 26): a widget on a page of an allowed origin may call
`POST /webhooks/rest/webhook` (its preflight answered, its response readable); any other origin gets
no Access-Control-Allow-Origin, so the browser refuses; no other path of the app answers CORS.
The browser's side, with the real Chatroom widget: tests/browser/test_chatroom_widget.py."""

from __future__ import annotations

import dataclasses
import json
import uuid

import pytest

from common import settings
from tests.integration.conftest import ALLOWED_ORIGIN
from web.channels.cors import BadOrigin, allowed_origins

PREFLIGHT = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}


def test_an_allowed_origins_preflight_and_post_are_answered_with_its_own_origin(platform_app):
    client = platform_app.app.test_client()
    pre = client.options("/webhooks/rest/webhook", headers={"Origin": ALLOWED_ORIGIN, **PREFLIGHT})
    assert pre.status_code == 200
    assert pre.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    assert "POST" in pre.headers["Access-Control-Allow-Methods"]
    assert "content-type" in pre.headers["Access-Control-Allow-Headers"].lower()
    assert "Access-Control-Allow-Credentials" not in pre.headers

    sender = f"cors-{uuid.uuid4().hex[:8]}"
    resp = client.post(
        "/webhooks/rest/webhook", json={"sender": sender, "message": "你好"}, headers={"Origin": ALLOWED_ORIGIN}
    )
    assert resp.status_code == 200
    assert resp.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    assert "Access-Control-Allow-Credentials" not in resp.headers
    assert platform_app.rasa.messages_from(f"web:{sender}") == ["你好"]


@pytest.mark.parametrize(
    "origin",
    ["https://evil.example.com", "http://portal.example.gov.cn", "https://portal.example.gov.cn.evil.com", "null"],
)
def test_an_origin_not_on_the_list_gets_no_cors_header(platform_app, origin):
    client = platform_app.app.test_client()
    pre = client.options("/webhooks/rest/webhook", headers={"Origin": origin, **PREFLIGHT})
    assert "Access-Control-Allow-Origin" not in pre.headers
    resp = client.post(
        "/webhooks/rest/webhook", json={"sender": "cors-other", "message": "你好"}, headers={"Origin": origin}
    )
    assert "Access-Control-Allow-Origin" not in resp.headers


@pytest.mark.parametrize(
    "path", ["/console/login", "/console/", "/admin/", "/metrics", "/wechat", "/chat", "/chat/messages"]
)
def test_no_other_path_answers_cors_even_for_an_allowed_origin(platform_app, path):
    client = platform_app.app.test_client()
    for resp in (
        client.options(path, headers={"Origin": ALLOWED_ORIGIN, **PREFLIGHT}),
        client.get(path, headers={"Origin": ALLOWED_ORIGIN}),
    ):
        assert not [h for h in resp.headers.keys() if h.lower().startswith("access-control-")], (path, resp.headers)


@pytest.mark.parametrize(
    "entry", ["*", "https://*.example.gov.cn", "portal.example.gov.cn", "https://portal.example.gov.cn/chat"]
)
def test_an_entry_that_is_not_an_origin_is_refused_at_start(entry):
    config = dataclasses.replace(settings.load(), chat_allowed_origins=(entry,))
    with pytest.raises(BadOrigin):
        allowed_origins(config)


def test_the_environment_list_is_read_comma_separated_without_trailing_slashes(monkeypatch):
    monkeypatch.setenv("CHAT_ALLOWED_ORIGINS", " https://a.example.gov.cn/ ,http://127.0.0.1:8080,, ")
    assert allowed_origins(settings.load()) == ("https://a.example.gov.cn", "http://127.0.0.1:8080")


def test_a_simple_cross_origin_post_without_a_preflight_reaches_no_bot(platform_app):
    """A page may send text/plain without asking first; the channel reads JSON only, so it stops here."""
    sender = f"cors-simple-{uuid.uuid4().hex[:8]}"
    resp = platform_app.app.test_client().post(
        "/webhooks/rest/webhook",
        data=json.dumps({"sender": sender, "message": "你好"}),
        content_type="text/plain",
        headers={"Origin": "https://evil.example.com"},
    )
    assert resp.status_code == 400 and "Access-Control-Allow-Origin" not in resp.headers
    assert platform_app.rasa.messages_from(f"web:{sender}") == []
