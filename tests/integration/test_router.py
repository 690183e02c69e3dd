"""The routing point: transcript, bot-or-agent routing and side effects.

Rasa is stood in for by a local HTTP server speaking its REST-channel format: the
subject here is the router, not Rasa (the live-stack tests cover the real one).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from common.db import make_engine
from common.migrate import upgrade
from tests.serving import served
from web.conversations.models import Conversation, Message
from web.conversations.router import BOT_BUSY, Inbound
from web.identity.links import BindingLinks
from web.policy import schedule
from web.policy.models import PolicyCampaign, PolicyDelivery
from web.rasa_client import RasaClient
from web.services import router as platform_router
from web.services import side_effects as platform_side_effects

EFFECTS = platform_side_effects(BindingLinks("http://platform.test", "test-secret"))  # as web/services.py gives them


class RasaStandIn:
    def __init__(self) -> None:
        self.received: list[dict] = []
        self.reply: list[dict] = [{"recipient_id": "x", "text": "您好"}]
        self.server = make_server("127.0.0.1", 0, self.app)
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    @Request.application
    def app(self, request: Request) -> Response:
        self.received.append(json.loads(request.get_data()))
        return Response(json.dumps(self.reply), content_type="application/json")


@pytest.fixture
def rasa() -> Iterator[RasaStandIn]:
    stand_in = RasaStandIn()
    with served(stand_in.server):
        yield stand_in


@pytest.fixture
def sessions(db_url):
    upgrade("platform", db_url)
    return sessionmaker(make_engine(db_url), expire_on_commit=False)


def test_a_bot_conversation_goes_to_rasa_and_both_sides_are_recorded(sessions, rasa):
    router = platform_router(sessions, RasaClient((rasa.url,), "t"), EFFECTS, rewrite=None)
    replies = router.handle(Inbound("wechat", "oResident1", "你好"))
    assert [r.text for r in replies] == ["您好"]
    [sent] = rasa.received
    assert len(sent.pop("message_id")) == 32  # kept on every Rasa instance it may be sent to (web/rasa_client.py)
    assert sent == {"sender": "oResident1", "message": "你好", "metadata": {"channel": "wechat"}}
    with sessions() as sess:
        lines = sess.scalars(select(Message).order_by(Message.id)).all()
        assert [(m.author, m.text) for m in lines] == [("resident", "你好"), ("bot", "您好")]


def test_a_handoff_payload_queues_the_conversation_and_is_not_shown(sessions, rasa):
    rasa.reply = [
        {
            "recipient_id": "x",
            "text": "我帮您转人工",
            "custom": {"handoff": {"reason": "sensitive", "priority": "urgent"}},
        }
    ]
    router = platform_router(sessions, RasaClient((rasa.url,), "t"), EFFECTS, rewrite=None)
    replies = router.handle(Inbound("web", "web:r2", "我要投诉窗口的工作人员"))
    assert [r.custom for r in replies] == [{}]
    assert replies[0].text.startswith("我帮您转人工\n\n")  # + the place in the queue, or after hours a callback request
    with sessions() as sess:
        conv = sess.scalar(select(Conversation).where(Conversation.sender_id == "web:r2"))
        assert (conv.state, conv.handoff_reason, conv.handoff_priority) == ("queued", "sensitive", "urgent")
        assert all("handoff" not in (m.meta or {}).get("custom", {}) for m in conv.messages)
    rasa.received.clear()
    assert router.handle(Inbound("web", "web:r2", "还在吗")) == []
    assert rasa.received == []  # with a human now: the bot does not answer


def test_when_rasa_is_down_the_resident_is_told_and_the_message_is_kept(sessions):
    router = platform_router(sessions, RasaClient(("http://127.0.0.1:9",), "t", timeout=1), EFFECTS, rewrite=None)
    replies = router.handle(Inbound("wechat", "oResident3", "低保怎么申请"))
    assert [r.text for r in replies] == [BOT_BUSY]
    with sessions() as sess:
        assert [m.text for m in sess.scalars(select(Message))] == ["低保怎么申请", BOT_BUSY]


def test_a_resident_in_danger_goes_to_a_person_urgently_whatever_the_bot_would_make_of_it(sessions, rasa):
    router = platform_router(sessions, RasaClient((rasa.url,), "t"), EFFECTS, rewrite=None)
    replies = router.handle(Inbound("wechat", "oResident4", "我想问下结婚登记 唉 其实我不想活了"))
    assert rasa.received == []  # the bot never sees it
    [reply] = replies
    assert "962525" in reply.text and "110" in reply.text and "工作人员" in reply.text
    with sessions() as sess:
        conv = sess.scalar(select(Conversation).where(Conversation.sender_id == "oResident4"))
        assert (conv.state, conv.handoff_reason, conv.handoff_priority) == ("queued", "danger:suicidal/self", "urgent")


def test_a_short_message_after_the_bot_answered_is_read_with_the_one_before_it(sessions, rasa):
    with sessions.begin() as sess:  # the bot answered a message that alone is no danger
        conv = Conversation(sender_id="oResident5", channel="wechat", state="bot")
        sess.add(conv)
        sess.flush()
        sess.add(Message(conversation_id=conv.id, author="resident", text="我爸在楼上睡午觉"))
        sess.add(Message(conversation_id=conv.id, author="bot", text="您可以说说是什么情况吗？"))
    router = platform_router(sessions, RasaClient((rasa.url,), "t"), EFFECTS, rewrite=None)
    [reply] = router.handle(Inbound("wechat", "oResident5", "喊他不应"))
    assert rasa.received == [] and "120" in reply.text  # read with the message before it: a person now
    assert "不等了" not in reply.text  # an urgent case is never told how to leave the queue
    with sessions() as sess:
        conv = sess.scalar(select(Conversation).where(Conversation.sender_id == "oResident5"))
        assert conv.handoff_reason.startswith("danger:fall_or_collapse") and conv.handoff_priority == "urgent"
    router.handle(Inbound("wechat", "oResident6", "喊他不应"))  # with nothing before it: the bot's
    assert len(rasa.received) == 1


def test_an_answer_comes_before_its_transcript_lines_and_record_writes_them(sessions, rasa):
    rasa.reply = [{"recipient_id": "x", "text": "低保这样申请……"}]
    router = platform_router(sessions, RasaClient((rasa.url,), "t"), EFFECTS, rewrite=None)
    answer = router.answer(Inbound("wechat", "oEarly", "低保怎么申请"))
    assert [r.text for r in answer.replies] == ["低保这样申请……"]
    with sessions() as sess:
        assert sess.scalars(select(Message)).all() == []  # nothing written before the reply
    answer.record()
    with sessions() as sess:
        conv = sess.scalar(select(Conversation).where(Conversation.sender_id == "oEarly"))
        assert [(m.author, m.text) for m in conv.messages] == [("resident", "低保怎么申请"), ("bot", "低保这样申请……")]


def test_a_turn_with_side_effects_is_recorded_before_it_is_answered(sessions, rasa):
    rasa.reply = [
        {"recipient_id": "x", "text": "好的，这就为您转人工。", "custom": {"handoff": {"reason": "resident_request"}}}
    ]
    router = platform_router(sessions, RasaClient((rasa.url,), "t"), EFFECTS, rewrite=None)
    answer = router.answer(Inbound("wechat", "oEffects", "转人工"))
    with sessions() as sess:  # the answer carries the place in the queue: it was written first
        conv = sess.scalar(select(Conversation).where(Conversation.sender_id == "oEffects"))
        assert conv.state == "queued"
        assert [m.author for m in conv.messages][:2] == ["resident", "bot"]
    assert "好的，这就为您转人工。" in answer.replies[0].text and answer.replies[0].text != "好的，这就为您转人工。"


def _pushed(sessions: sessionmaker, openid: str) -> int:
    """A campaign push this resident received an hour ago, as the campaign engine leaves it."""
    with sessions.begin() as sess:
        campaign = PolicyCampaign(
            name="高龄津贴告知",
            benefit="高龄津贴",
            rule={},
            template_id="TPL",
            apply_keyword="申请",
            apply_payload='/assistance_apply{"assistance_type": "临时救助"}',
            state="completed",
            counts={},
            started_at=schedule.now_local(),
        )
        sess.add(campaign)
        sess.flush()
        delivery = PolicyDelivery(
            campaign_id=campaign.id,
            resident_id=1,
            openid=openid,
            name="",
            status="sent",
            sent_at=schedule.now_local() - timedelta(hours=1),
            channel="template",
        )
        sess.add(delivery)
        sess.flush()
        return delivery.id


def _replied_at(sessions: sessionmaker, delivery_id: int) -> datetime | None:
    with sessions() as sess:
        return sess.get(PolicyDelivery, delivery_id).replied_at


def test_a_reply_to_a_push_is_counted_when_its_line_is_recorded_and_only_once(sessions, rasa):
    delivery_id = _pushed(sessions, "oPushed")
    router = platform_router(sessions, RasaClient((rasa.url,), "t"), EFFECTS)
    answer = router.answer(Inbound("wechat", "oPushed", "申请"))
    assert rasa.received[-1]["message"] == '/assistance_apply{"assistance_type": "临时救助"}'
    assert _replied_at(sessions, delivery_id) is None  # the routing read wrote nothing
    answer.record()
    first = _replied_at(sessions, delivery_id)
    assert first is not None
    router.handle(Inbound("wechat", "oPushed", "还有别的要准备吗"))
    assert _replied_at(sessions, delivery_id) == first  # the first reply is the one counted
    with sessions() as sess:
        conv = sess.scalar(select(Conversation).where(Conversation.sender_id == "oPushed"))
        assert [m.text for m in conv.messages if m.author == "resident"] == ["申请", "还有别的要准备吗"]


def test_a_reply_to_a_push_from_a_resident_with_an_agent_is_counted_on_the_desk_path(sessions, rasa):
    delivery_id = _pushed(sessions, "oPushedDesk")
    with sessions.begin() as sess:
        sess.add(Conversation(sender_id="oPushedDesk", channel="wechat", state="agent"))
    router = platform_router(sessions, RasaClient((rasa.url,), "t"), EFFECTS)
    router.handle(Inbound("wechat", "oPushedDesk", "申请"))
    assert rasa.received == []  # with a person: the bot never sees it
    assert _replied_at(sessions, delivery_id) is not None
    with sessions() as sess:
        conv = sess.scalar(select(Conversation).where(Conversation.sender_id == "oPushedDesk"))
        assert [m.text for m in conv.messages if m.author == "resident"] == ["申请"]
