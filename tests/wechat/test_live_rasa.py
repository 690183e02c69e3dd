"""The channels on the real stack (real Rasa, actions, back-office): what the stand-in Rasa cannot show."""

from __future__ import annotations

import secrets
import time

import defusedxml.ElementTree as SafeET
import pytest
import requests

from tools.wechat_standin import message_xml, wechat_signature
from web.texts import text as channel_text

pytestmark = pytest.mark.stack


def post_wechat(stack, openid: str, content: str, msg_id: int) -> requests.Response:
    ts, nonce = str(int(time.time())), secrets.token_hex(5)  # a fresh nonce: a used one is refused
    params = {"signature": wechat_signature(stack.env["WECHAT_TOKEN"], ts, nonce), "timestamp": ts, "nonce": nonce}
    body = message_xml(
        {
            "ToUserName": "gh_civic",
            "FromUserName": openid,
            "CreateTime": int(ts),
            "MsgType": "text",
            "Content": content,
            "MsgId": msg_id,
        }
    )
    return requests.post(stack.url("web") + "/wechat", params=params, data=body.encode(), timeout=15)


def test_a_redelivered_message_reaches_rasa_once(live_stack):
    openid, msg_id = f"oLiveDedupe{int(time.time())}", int(time.time() * 1000)
    answers = [post_wechat(live_stack, openid, "你好", msg_id) for _ in range(3)]
    contents = [SafeET.fromstring(a.content).findtext("Content") for a in answers]
    assert len(set(contents)) == 1 and contents[0]
    tracker = requests.get(
        f"{live_stack.url('rasa')}/conversations/{openid}/tracker",
        params={"token": live_stack.env["RASA_TOKEN"]},
        timeout=10,
    ).json()
    assert [e["text"] for e in tracker["events"] if e["event"] == "user"] == ["你好"]


def test_the_rest_channel_rate_limits_each_sender(live_stack):
    sender = f"rate-{int(time.time())}"
    if time.time() % 60 > 40:  # the limit counts per clock minute: start well inside one
        time.sleep(61 - time.time() % 60)
    statuses = [
        requests.post(
            live_stack.url("web") + "/webhooks/rest/webhook", json={"sender": sender, "message": "/greet"}, timeout=15
        ).status_code
        for _ in range(21)
    ]
    assert statuses == [200] * 20 + [429]
    refused = requests.post(
        live_stack.url("web") + "/webhooks/rest/webhook", json={"sender": sender, "message": "/greet"}, timeout=15
    )
    assert refused.json() == {"error": "rate_limited", "message": channel_text("rate_limited")}
    other = requests.post(
        live_stack.url("web") + "/webhooks/rest/webhook",
        json={"sender": sender + "-b", "message": "/greet"},
        timeout=15,
    )
    assert other.status_code == 200 and other.json()[0]["recipient_id"] == sender + "-b"
