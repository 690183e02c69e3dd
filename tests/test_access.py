"""Only the platform reaches the action server and Rasa's channels (docs/security.md, rule 2)."""

from __future__ import annotations

import dataclasses

import pytest
import requests

from common import settings

TOKEN = "a-long-random-actions-token"
FORGED = {
    "next_action": "action_policy_unsubscribe",
    "tracker": {
        "sender_id": "oSomeoneElse",
        "slots": {},
        "latest_message": {"text": "退订", "intent": {"name": "policy_unsubscribe"}},
        "events": [],
    },
    "domain": {},
}


@pytest.fixture
def action_server():
    from actions.app import create_app

    return create_app(dataclasses.replace(settings.load(), actions_token=TOKEN)).test_client()


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN + "x"}])
def test_the_action_server_refuses_a_tracker_without_its_token(action_server, headers):
    resp = action_server.post("/webhook", json=FORGED, headers=headers)
    assert resp.status_code == 401
    assert resp.get_json()["action_name"] is None and "responses" not in resp.get_json()
    assert action_server.get("/actions", headers=headers).status_code == 401


def test_the_action_server_runs_an_action_with_its_token_and_health_stays_open(action_server):
    resp = action_server.post("/webhook", json=FORGED, headers={"Authorization": f"Bearer {TOKEN}"})
    assert resp.status_code == 200 and resp.get_json()["responses"]
    assert action_server.get("/health").status_code == 200


@pytest.mark.stack
def test_rasas_platform_channel_takes_only_the_web_apps_posts(live_stack):
    rasa = live_stack.url("rasa")
    message = {"sender": "oForger", "message": "你好"}
    for headers in ({}, {"Authorization": "Bearer wrong"}):
        resp = requests.post(rasa + "/webhooks/platform/webhook", json=message, headers=headers, timeout=30)
        assert resp.status_code == 403
    token = {"Authorization": f"Bearer {live_stack.env['RASA_TOKEN']}"}
    resp = requests.post(rasa + "/webhooks/platform/webhook", json=message, headers=token, timeout=60)
    assert resp.status_code == 200 and resp.json()["messages"]


@pytest.mark.stack
def test_rasas_own_rest_channel_is_not_served(live_stack):
    resp = requests.post(
        live_stack.url("rasa") + "/webhooks/rest/webhook", json={"sender": "oForger", "message": "你好"}, timeout=30
    )
    assert resp.status_code == 404
