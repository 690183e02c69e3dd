"""Rasa's Socket.IO channel on the web app (issue 26), spoken to by a real python-socketio client
over HTTP: Rasa's events and session handling (``session_request`` -> ``session_confirm``,
``user_uttered`` -> ``bot_uttered`` in Rasa's shapes), a session id only the server makes, the
routing point's handoff, an agent's reply shown live, origins off the allow-list refused.
The real rasa-webchat widget in Chromium: tests/browser/test_webchat_widget.py."""

from __future__ import annotations

import queue
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import socketio

from tests.integration.conftest import ALLOWED_ORIGIN
from tests.serving import served
from web.conversations.models import Conversation
from web.rasa_client import BotMessage

WAIT = 10


@pytest.fixture(scope="module")
def web_url(platform_app) -> Iterator[str]:
    with served(platform_app.app) as url:
        yield url


class Resident:
    """A Socket.IO client as rasa-webchat uses it: the session id it was confirmed is kept."""

    def __init__(
        self,
        url: str,
        session_id: str | None = None,
        origin: str = ALLOWED_ORIGIN,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.said: queue.Queue[dict[str, Any]] = queue.Queue()
        self.confirmed: queue.Queue[str] = queue.Queue()
        self.client = socketio.Client(reconnection=False)
        self.client.on("bot_uttered", self.said.put)
        self.client.on("session_confirm", self.confirmed.put)
        self.client.connect(
            url, headers={"Origin": origin, **(headers or {})}, transports=["polling"], wait_timeout=WAIT
        )
        self.client.emit("session_request", {"session_id": session_id})
        self.session_id = self.confirmed.get(timeout=WAIT)

    def say(self, text: str) -> None:
        self.client.emit("user_uttered", {"message": text, "session_id": self.session_id})

    def hears(self) -> dict[str, Any]:
        return self.said.get(timeout=WAIT)

    def close(self) -> None:
        self.client.disconnect()


def _sender(platform_app, before: int) -> str:
    """The conversation the stand-in saw first after ``before`` requests."""
    return platform_app.rasa.received[before]["sender"]


def _messages(platform_app, sender: str) -> list[str]:
    """What the bot was sent for ``sender`` (the stand-in also sees the handoff's calls to Rasa's API)."""
    with platform_app.rasa.lock:
        return [r["message"] for r in platform_app.rasa.received if r.get("sender") == sender]


def test_a_question_is_answered_through_the_routing_point_in_rasas_shapes(platform_app, web_url):
    resident = Resident(web_url)
    try:
        before = len(platform_app.rasa.received)
        resident.say("低保怎么申请")
        assert resident.hears() == {"text": "收到：低保怎么申请"}
        sender = _sender(platform_app, before)
        assert sender.startswith("web:sio-")  # server-made, namespaced: never a REST or page sender
        with platform_app.sessions() as sess:  # the transcript, as for every channel
            conv = sess.query(Conversation).filter_by(sender_id=sender).one()
            assert [m.text for m in conv.messages][:2] == ["低保怎么申请", "收到：低保怎么申请"]

        platform_app.rasa.behave(
            sender,
            replies=[
                {"text": "请选择：\n\n您要办哪一项？", "buttons": [{"title": "低保", "payload": "/ask_dibao"}]},
                {"image": "https://example.gov.cn/map.png"},
            ],
        )
        resident.say("办事")
        assert resident.hears() == {"text": "请选择：", "quick_replies": []}
        assert resident.hears() == {
            "text": "您要办哪一项？",
            "quick_replies": [{"content_type": "text", "title": "低保", "payload": "/ask_dibao"}],
        }
        assert resident.hears() == {
            "attachment": {"type": "image", "payload": {"src": "https://example.gov.cn/map.png"}}
        }
        platform_app.rasa.behave(sender)
        resident.say("/ask_dibao")  # a button's payload, as rasa-webchat sends it
        resident.hears()
        assert platform_app.rasa.messages_from(sender)[-1] == "/ask_dibao"
    finally:
        resident.close()


def test_the_session_id_is_the_servers_a_proposed_or_forged_one_is_not_taken(platform_app, web_url):
    first = Resident(web_url)
    first.say("你好")
    first.hears()
    first.close()
    again = Resident(web_url, session_id=first.session_id)  # a reload: the widget's stored id
    assert again.session_id == first.session_id
    again.close()
    for forged in ("sio-" + uuid.uuid4().hex, "page-" + uuid.uuid4().hex, "somebody"):
        other = Resident(web_url, session_id=forged)
        assert other.session_id != forged
        before = len(platform_app.rasa.received)
        other.client.emit("user_uttered", {"message": "我是谁", "session_id": forged})  # its session's, not forged's
        assert other.hears() == {"text": "收到：我是谁"}
        assert _sender(platform_app, before).startswith("web:sio-")
        assert _sender(platform_app, before) != "web:" + forged
        other.close()
    # and a REST body may not name a Socket.IO sender
    resp = requests.post(web_url + "/webhooks/rest/webhook", json={"sender": "sio-abc", "message": "hi"}, timeout=WAIT)
    assert resp.status_code == 403


def test_a_handoff_then_the_agents_reply_reaches_the_resident_live(platform_app, web_url):
    resident = Resident(web_url)
    try:
        before = len(platform_app.rasa.received)
        resident.say("你好")
        resident.hears()
        sender = _sender(platform_app, before)
        platform_app.rasa.behave(
            sender, replies=[{"text": "好的，正在为您转人工。", "custom": {"handoff": {"reason": "resident_asked"}}}]
        )
        resident.say("转人工")
        assert resident.hears()["text"].startswith("好的，正在为您转人工。")
        with platform_app.sessions() as sess:
            assert sess.query(Conversation).filter_by(sender_id=sender).one().state == "queued"
        asked = len(_messages(platform_app, sender))
        resident.say("我等着")  # now the desk's, not the bot's
        resident.hears()
        assert len(_messages(platform_app, sender)) == asked

        outbound = platform_app.app.extensions["outbound"]  # as the console sends an agent's reply
        with platform_app.sessions.begin() as sess:
            recorded = outbound.record(sess, sender, [BotMessage(text="您好，我是民政局的小王。")], "agent")
        outbound.dispatch(recorded)
        assert resident.hears() == {"text": "您好，我是民政局的小王。"}
    finally:
        resident.close()


def test_an_origin_not_on_the_allow_list_is_refused_at_the_handshake(web_url):
    handshake = web_url + "/socket.io/?EIO=4&transport=polling"
    refused = requests.get(handshake, headers={"Origin": "https://evil.example.com"}, timeout=WAIT)
    assert refused.status_code == 400
    assert "Access-Control-Allow-Origin" not in refused.headers
    allowed = requests.get(handshake, headers={"Origin": ALLOWED_ORIGIN}, timeout=WAIT)
    assert allowed.status_code == 200
    assert allowed.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    assert "Access-Control-Allow-Credentials" not in allowed.headers
    with pytest.raises(socketio.exceptions.ConnectionError):
        Resident(web_url, origin="https://evil.example.com")
