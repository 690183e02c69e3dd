"""Redis down (a real refused connection) or hanging (a server that never answers): /wechat
and the web chat answer in time, keep what the resident said, and say so; subscriptions and
receipts are still recorded."""

from __future__ import annotations

import dataclasses
import socket
import time
import uuid
from collections.abc import Iterator

import defusedxml.ElementTree as SafeET
import pytest
from sqlalchemy import select

from common import settings as app_settings
from common.migrate import upgrade
from tools import stack
from tools.wechat_standin import message_xml, wechat_signature
from web.app import create_app
from web.conversations.models import Conversation
from web.outbound.models import ResidentConsent
from web.texts import text as channel_text

TOKEN = "no-redis-token"


@pytest.fixture
def silent_redis() -> Iterator[str]:
    """A Redis address that accepts connections (in the kernel's backlog) and never answers."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(64)
    yield f"redis://127.0.0.1:{silent.getsockname()[1]}/0"
    silent.close()


def make_app(db_url: str, rasa_url: str, redis_url: str):
    upgrade("platform", db_url)
    config = dataclasses.replace(
        app_settings.load(),
        database_url=db_url,
        redis_url=redis_url,
        rasa_urls=(rasa_url,),
        secret_key="no-redis",
        wechat_token=TOKEN,
        wechat_app_id="wx_noredis",
        wechat_encoding_aes_key="",
        wechat_api_base="http://127.0.0.1:9",
        log_level="CRITICAL",
    )
    return create_app(config)


@pytest.fixture
def app(db_url, rasa_standin):
    flask_app = make_app(db_url, rasa_standin.url, f"redis://127.0.0.1:{stack.free_port()}/0")  # refused
    yield flask_app
    flask_app.extensions["database"].engine.dispose()


def post(client, openid: str, fields: dict) -> str | None:
    ts, nonce = str(int(time.time())), "nr"
    body = message_xml({"ToUserName": "gh_x", "FromUserName": openid, "CreateTime": int(ts), **fields})
    resp = client.post(
        "/wechat",
        data=body.encode(),
        query_string={"signature": wechat_signature(TOKEN, ts, nonce), "timestamp": ts, "nonce": nonce},
    )
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return None if resp.data == b"success" else SafeET.fromstring(resp.data).findtext("Content")


def test_wechat_without_redis_keeps_the_message_and_says_so(app):
    client, openid = app.test_client(), "o" + uuid.uuid4().hex[:27]
    assert post(client, openid, {"MsgType": "text", "Content": "我想申请低保", "MsgId": 1}) == channel_text(
        "unavailable"
    )
    assert post(
        client,
        openid,
        {"MsgType": "location", "Location_X": 31.2, "Location_Y": 121.4, "Label": "长寿路", "Scale": 15, "MsgId": 2},
    ) == channel_text("unavailable")
    assert post(client, openid, {"MsgType": "image", "PicUrl": "http://x/y.jpg", "MsgId": 3}) == channel_text(
        "non_text"
    )
    with app.extensions["database"].sessions() as sess:
        conv = sess.scalar(select(Conversation).where(Conversation.sender_id == openid))
        lines = [(m.author, m.text, m.meta.get("unanswered")) for m in conv.messages]
    assert lines == [
        ("resident", "我想申请低保", "redis_unavailable"),
        ("bot", channel_text("unavailable"), None),
        ("resident", "[位置] 长寿路 (31.2, 121.4)", "redis_unavailable"),
        ("bot", channel_text("unavailable"), None),
    ]


def test_subscriptions_and_receipts_are_recorded_without_redis(app):
    client, openid = app.test_client(), "o" + uuid.uuid4().hex[:27]
    assert post(client, openid, {"MsgType": "event", "Event": "subscribe"}) == channel_text("welcome")
    assert post(client, openid, {"MsgType": "event", "Event": "unsubscribe"}) is None
    assert (
        post(client, openid, {"MsgType": "event", "Event": "TEMPLATESENDJOBFINISH", "MsgID": 42, "Status": "success"})
        is None
    )
    with app.extensions["database"].sessions() as sess:
        consent = sess.get(ResidentConsent, openid)
        assert (consent.subscribed, consent.push_allowed) == (False, False)


def test_the_web_chat_without_redis_still_takes_messages_to_the_bot(app, rasa_standin):
    rasa_standin.behave("web:nr-1", replies=[{"text": "您好！"}])
    client = app.test_client()
    resp = client.post("/webhooks/rest/webhook", json={"sender": "nr-1", "message": "你好"})
    assert resp.status_code == 200
    assert resp.get_json()[0]["text"] == "您好！"  # the rate limit fails open; Rasa (here its stand-in) answers
    with app.extensions["database"].sessions() as sess:
        conv = sess.scalar(select(Conversation).where(Conversation.sender_id == "web:nr-1"))
        assert [m.author for m in conv.messages][:1] == ["resident"]


def test_a_hanging_redis_costs_a_message_seconds_not_wechats_whole_budget(postgres, rasa_standin, silent_redis):
    flask_app = make_app(postgres.create("civic_hang"), rasa_standin.url, silent_redis)
    try:
        started = time.monotonic()
        told = post(
            flask_app.test_client(), "o" + uuid.uuid4().hex[:27], {"MsgType": "text", "Content": "你好", "MsgId": 9}
        )
        assert told == channel_text("unavailable") and time.monotonic() - started < 3.5  # WeChat waits 5 s
    finally:
        flask_app.extensions["database"].engine.dispose()


def test_an_agents_answer_reaches_the_web_chat_without_redis(app):
    from itsdangerous import URLSafeSerializer

    from web.rasa_client import BotMessage

    answer = "工作人员：您的低保申请材料齐了，下周一来社区签字就行。"
    app.extensions["outbound"].deliver("web:nr-2", [BotMessage(text=answer)], reason="agent")  # no exception
    token = URLSafeSerializer("no-redis", salt="web-chat").dumps("nr-2")
    polled = app.test_client().get("/chat/messages", headers={"X-Chat-Token": token}).get_json()["messages"]
    assert [m["text"] for m in polled] == [answer]
    after = app.test_client().get(f"/chat/messages?after={polled[0]['id']}", headers={"X-Chat-Token": token})
    assert after.get_json()["messages"] == []
