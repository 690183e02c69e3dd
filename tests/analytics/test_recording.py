"""Events recorded from real turns: the router with a Rasa stand-in speaking the platform channel's format,
and the session listener for conversation state and agent messages."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from tests.serving import served
from web.analytics.models import AnalyticsEvent
from web.analytics.recording import listen
from web.conversations.models import Conversation, Message
from web.conversations.router import Inbound
from web.identity.links import BindingLinks
from web.rasa_client import RasaClient
from web.review.models import ReviewItem
from web.services import router as platform_router
from web.services import side_effects as platform_side_effects

UNDERSTOOD = {
    "intent": "nlu_fallback",
    "confidence": 0.42,
    "guess": {"intent": "assistance_apply", "confidence": 0.42},
    "entities": [{"entity": "phone", "value": "13812345678"}, {"entity": "district", "value": "普陀区"}],
    "fallback": True,
    "actions": ["utter_default"],
    "active_loop": "assistance_form",
    "requested_slot": "assistance_type",
    "flows": [{"flow": "assistance_form", "event": "started", "step": None}],
    "district": "普陀区",
}

EFFECTS = platform_side_effects(BindingLinks("http://platform.test", "test-secret"))  # as web/services.py gives them


class PlatformStandIn:
    def __init__(self) -> None:
        self.paths: list[str] = []
        self.server = make_server("127.0.0.1", 0, self.app)
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    @Request.application
    def app(self, request: Request) -> Response:
        self.paths.append(request.path)
        return Response(
            json.dumps(
                {"messages": [{"recipient_id": "x", "text": "不好意思，没听明白"}], "understanding": UNDERSTOOD}
            ),
            content_type="application/json",
        )


@pytest.fixture
def rasa() -> Iterator[PlatformStandIn]:
    stand_in = PlatformStandIn()
    with served(stand_in.server):
        yield stand_in


def _events(sess) -> list[AnalyticsEvent]:
    return sess.scalars(select(AnalyticsEvent).order_by(AnalyticsEvent.id)).all()


def test_a_turn_records_understanding_events_and_a_review_item(sessions, rasa):
    listen(sessions)
    router = platform_router(sessions, RasaClient((rasa.url,), "t"), EFFECTS, rewrite=None)
    assert [r.text for r in router.handle(Inbound("web", "web:a1", "我电话13812345678想办那个补助"))] == [
        "不好意思，没听明白"
    ]
    assert rasa.paths == ["/webhooks/platform/webhook"]
    with sessions() as sess:
        kinds = [(e.kind, e.intent, e.flow, e.district) for e in _events(sess)]
        assert kinds == [
            ("conversation_started", None, None, None),
            ("message_in", "assistance_apply", "assistance_form", "普陀区"),
            ("flow_started", None, "assistance_form", "普陀区"),
        ]
        message_in = _events(sess)[1]
        assert message_in.fallback and message_in.confidence == 0.42 and message_in.step == "assistance_type"
        assert message_in.detail == {"entities": ["district", "phone"]}  # names only, never values
        said = sess.scalar(select(Message).where(Message.author == "resident"))
        assert said.meta["intent"] == "nlu_fallback" and said.meta["fallback"] is True
        assert {"entity": "phone", "value": "138****5678"} in said.meta["entities"]
        item = sess.scalar(select(ReviewItem))
        assert (item.reason, item.guess, item.status) == ("fallback", "assistance_apply", "open")
        assert "13812345678" not in item.text
    router.handle(Inbound("web", "web:a1", "还是不明白"))
    with sessions() as sess:  # same resident, same day: no second conversation_started
        assert [e.kind for e in _events(sess)].count("conversation_started") == 1


def test_handoff_lifecycle_and_agent_messages_are_recorded_from_the_state(sessions):
    listen(sessions)
    with sessions.begin() as sess:
        conv = Conversation(sender_id="web:h1", channel="web")
        sess.add(conv)
    with sessions.begin() as sess:
        conv = sess.get(Conversation, conv.id)
        conv.state, conv.handoff_reason, conv.handoff_priority = "queued", "complaint", "normal"
    with sessions.begin() as sess:
        sess.get(Conversation, conv.id).state = "agent"
        sess.add(Message(conversation_id=conv.id, author="agent", text="您好，我是工作人员"))
    with sessions.begin() as sess:
        sess.get(Conversation, conv.id).state = "bot"
    with sessions() as sess:
        events = [(e.kind, e.reason) for e in _events(sess)]
    assert events == [
        ("conversation_started", None),
        ("handoff_requested", "complaint"),
        ("handoff_claimed", None),
        ("agent_message", None),
        ("handoff_closed", None),
    ]
