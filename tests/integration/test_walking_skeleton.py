"""One conversation through the real parts: web → Rasa → Flask action server → back-office."""

from __future__ import annotations

import hashlib
import secrets
import time
from pathlib import Path

import defusedxml.ElementTree as SafeET
import pytest
import redis
import requests
import yaml
from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(__file__).resolve().parents[2]
GREETING = yaml.safe_load((ROOT / "bot/domain/core.yml").read_text())["responses"]["utter_greet"][0]["text"]
MATERIALS = yaml.safe_load((ROOT / "backoffice/seed/marriage_materials.yaml").read_text())

pytestmark = pytest.mark.stack


def signed_query(token: str, timestamp: int | None = None, nonce: str | None = None) -> dict[str, str]:
    """Sign like WeChat does: sha1 of the sorted token, timestamp and nonce (fresh: a used one is refused)."""
    nonce = nonce or secrets.token_hex(5)
    ts = str(timestamp or int(time.time()))
    signature = hashlib.sha1("".join(sorted([token, ts, nonce])).encode()).hexdigest()
    return {"signature": signature, "timestamp": ts, "nonce": nonce}


def text_message(openid: str, content: str, msg_id: int) -> str:
    return (
        f"<xml><ToUserName><![CDATA[gh_civic]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId></xml>"
    )


def test_wechat_text_gets_a_passive_reply_written_by_rasa(live_stack):
    token = live_stack.env["WECHAT_TOKEN"]
    resp = requests.post(
        live_stack.url("web") + "/wechat",
        params=signed_query(token),
        data=text_message("oSkeleton01", "你好", 910001).encode(),
        timeout=15,
    )
    assert resp.status_code == 200
    reply = SafeET.fromstring(resp.content)
    assert reply.findtext("MsgType") == "text"
    assert reply.findtext("ToUserName") == "oSkeleton01" and reply.findtext("FromUserName") == "gh_civic"
    assert reply.findtext("Content") == GREETING
    # Rasa keeps the conversation in Redis (the platform channel's tracker store), not in memory.
    stored = redis.Redis.from_url(live_stack.env["REDIS_URL"]).get("civic:tracker:oSkeleton01")
    assert stored is not None and b"utter_greet" in stored
    # ... and the platform channel read the turn from the tracker the turn saved, not by retrieving it again;
    # Rasa's own /metrics (the platform channel's) counts the turn.
    metrics = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(
            requests.get(live_stack.url("rasa") + "/webhooks/platform/metrics", timeout=10).text
        )
        for s in family.samples
    }
    assert metrics[("rasa_turns_total", (("outcome", "ok"),))] >= 1
    assert metrics[("rasa_turn_duration_seconds_count", ())] >= 1
    assert metrics[("rasa_turns_uncaptured_total", ())] == 0
    assert metrics[("rasa_session_events_count", ())] >= 1 and metrics[("rasa_session_events_sum", ())] >= 4


def test_a_forged_signature_is_refused_and_reaches_nobody(live_stack):
    query = signed_query("not-the-token")
    resp = requests.post(
        live_stack.url("web") + "/wechat",
        params=query,
        data=text_message("oForger", "你好", 910002).encode(),
        timeout=15,
    )
    assert resp.status_code == 403
    tracker = requests.get(
        f"{live_stack.url('rasa')}/conversations/oForger/tracker",
        params={"token": live_stack.env["RASA_TOKEN"]},
        timeout=10,
    ).json()
    assert [e for e in tracker["events"] if e["event"] == "user"] == []


def test_rest_channel_speaks_rasas_format(live_stack):
    resp = requests.post(
        live_stack.url("web") + "/webhooks/rest/webhook", json={"sender": "widget-1", "message": "你好"}, timeout=15
    )
    assert resp.status_code == 200
    assert resp.json() == [{"recipient_id": "widget-1", "text": GREETING}]


def test_a_custom_action_reads_the_back_office_during_the_conversation(live_stack):
    # Rasa's intent syntax: the step under test is the action, not the NLU. What to bring for a marriage
    # registration is read by the action server from the back-office.
    def say(message: str) -> str:
        resp = requests.post(
            live_stack.url("web") + "/webhooks/rest/webhook",
            json={"sender": "widget-2", "message": message},
            timeout=15,
        )
        return " ".join(m.get("text", "") for m in resp.json())

    text = say('/marriage_materials{"marriage_type": "结婚"}')
    assert all(line in text for line in MATERIALS["结婚"])
    # Booking asks the back-office who the sender is first: the web chat's sender is not verified (实名认证).
    assert "实名认证" in say('/marriage_book{"marriage_type": "结婚"}')
    tracker = requests.get(
        f"{live_stack.url('rasa')}/conversations/web:widget-2/tracker",
        params={"token": live_stack.env["RASA_TOKEN"]},
        timeout=10,
    ).json()
    assert not (tracker.get("active_loop") or {}).get("name")


def test_rasa_http_api_refuses_calls_without_the_token(live_stack):
    resp = requests.get(f"{live_stack.url('rasa')}/conversations/widget-1/tracker", timeout=10)
    assert resp.status_code == 401


def test_every_process_reports_ready(live_stack):
    for service in ("backoffice", "actions", "web"):
        assert requests.get(live_stack.url(service) + "/readyz", timeout=5).json()["status"] == "ok"
        assert requests.get(live_stack.url(service) + "/healthz", timeout=5).status_code == 200
