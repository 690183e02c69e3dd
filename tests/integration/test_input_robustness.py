"""Input the platform cannot store as it came is decided at the edge, and a transcript line is
never lost (security review, item 12): a NUL or other control character in a REST message, a lone
surrogate, two first messages of a new sender at once. Real PostgreSQL (which refuses NUL in text)
and real Redis; Rasa is a stand-in that echoes (tests/integration/conftest.py)."""

from __future__ import annotations

import json
import threading
import uuid

import pytest
from sqlalchemy import insert, select
from sqlalchemy.orm import sessionmaker

from common.db import make_engine
from common.migrate import upgrade
from web.conversations.models import Conversation, Message
from web.conversations.router import BadSender, Inbound
from web.identity.links import BindingLinks
from web.rasa_client import RasaClient
from web.services import router as platform_router
from web.services import side_effects as platform_side_effects


def lines(sessions: sessionmaker, sender_id: str) -> list[tuple[str, str]]:
    with sessions() as sess:
        return [
            (m.author, m.text)
            for m in sess.scalars(
                select(Message).join(Conversation).where(Conversation.sender_id == sender_id).order_by(Message.id)
            )
        ]


def test_control_characters_in_a_rest_message_are_dropped_before_the_bot_and_the_line_is_kept(platform_app):
    client, sender = platform_app.app.test_client(), f"nul-{uuid.uuid4().hex[:8]}"
    resp = client.post("/webhooks/rest/webhook", json={"sender": sender, "message": "低保\x00怎么\x07申请\t？"})
    assert resp.status_code == 200
    assert platform_app.rasa.messages_from(f"web:{sender}") == ["低保怎么申请\t？"]
    assert lines(platform_app.sessions, f"web:{sender}") == [
        ("resident", "低保怎么申请\t？"),
        ("bot", "收到：低保怎么申请\t？"),
    ]


def test_a_message_of_control_characters_only_is_an_empty_message(platform_app):
    sender = f"nul-{uuid.uuid4().hex[:8]}"
    resp = platform_app.app.test_client().post("/webhooks/rest/webhook", json={"sender": sender, "message": "\x00\x01"})
    assert (resp.status_code, resp.get_json()) == (200, [])
    assert platform_app.rasa.messages_from(f"web:{sender}") == []


def test_a_lone_surrogate_in_a_rest_message_is_replaced_not_a_500(platform_app):
    sender = f"sur-{uuid.uuid4().hex[:8]}"
    body = json.dumps({"sender": sender, "message": "\ud800你好"})  # as JSON carries it: "\\ud800"
    resp = platform_app.app.test_client().post("/webhooks/rest/webhook", data=body, content_type="application/json")
    assert resp.status_code == 200
    assert lines(platform_app.sessions, f"web:{sender}")[0] == ("resident", "\ufffd你好")


@pytest.mark.parametrize("sender", ["a\x00b", "tab\tin", "\x1b[31m", "x\ud800"])
def test_a_sender_with_control_characters_is_refused_with_400(platform_app, sender):
    resp = platform_app.app.test_client().post(
        "/webhooks/rest/webhook",
        data=json.dumps({"sender": sender, "message": "你好"}),
        content_type="application/json",
    )
    assert resp.status_code == 400
    assert "控制字符" in resp.get_json()["message"]
    assert platform_app.rasa.messages_from(f"web:{sender}") == []  # refused before anything ran


def test_the_routing_point_refuses_such_a_sender_for_every_channel():
    with pytest.raises(BadSender):
        Inbound("wechat", "o\x00penid", "你好")
    assert Inbound("wechat", "openid", "你\x00好", transcript="[菜单]\x01 办事").text == "你好"


def test_the_transcript_stores_a_line_with_nul_whoever_writes_it(postgres):
    """The storage layer's own guard (web.orm.PlainText / PlainJSON), for writers other than the router."""
    url = postgres.create("civic_nul")
    upgrade("platform", url)
    sessions = sessionmaker(make_engine(url), expire_on_commit=False)
    with sessions.begin() as sess:
        conv = Conversation(sender_id="oNul", channel="wechat", state="agent")
        sess.add(conv)
        sess.flush()
        sess.add(Message(conversation_id=conv.id, author="agent", text="您好\x00", meta={"note\x00": ["a\x00"]}))
        sess.execute(insert(Message), [{"conversation_id": conv.id, "author": "bot", "text": "再见\x00", "meta": {}}])
    with sessions() as sess:
        assert [(m.text, m.meta) for m in sess.scalars(select(Message).order_by(Message.id))] == [
            ("您好", {"note": ["a"]}),
            ("再见", {}),
        ]


def test_two_first_messages_of_a_new_sender_at_once_are_both_recorded(postgres):
    """The conversation is created once (INSERT … ON CONFLICT DO NOTHING on its unique sender id),
    so neither turn's transaction fails on it. The Rasa stand-in holds both turns until both
    have arrived, so both transactions look for the conversation at the same moment."""
    from tests.serving import served
    from tests.wechat.rasa_standin import RasaStandIn

    url = postgres.create("civic_race")
    upgrade("platform", url)
    sessions = sessionmaker(make_engine(url, pool_size=20), expire_on_commit=False)
    rasa = RasaStandIn()
    senders = [f"web:race-{i}" for i in range(8)]
    for sender in senders:
        rasa.behave(sender, delay=0.5)
    with served(rasa.server) as rasa_url:
        router = platform_router(
            sessions, RasaClient((rasa_url,), "t"), platform_side_effects(BindingLinks("http://t", "s")), rewrite=None
        )
        failures: list[BaseException] = []

        def send(sender: str, text: str) -> None:
            try:
                router.handle(Inbound("web", sender, text))
            except BaseException as exc:  # noqa: BLE001 - reported below
                failures.append(exc)

        threads = [threading.Thread(target=send, args=(s, t)) for s in senders for t in ("您好", "请问低保")]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
    assert failures == []
    for sender in senders:
        assert sorted(text for author, text in lines(sessions, sender) if author == "resident") == ["您好", "请问低保"]
