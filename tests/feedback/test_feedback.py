"""好差评 pieces without the stack: reading an answer, when to ask, recording the side effect."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from actions import executor
from actions.feedback import may_ask, parse_level
from actions.tracker import Tracker
from common.db import make_engine
from common.migrate import upgrade
from web.analytics.models import AnalyticsEvent
from web.conversations.models import Conversation
from web.feedback.models import Rating
from web.identity.links import BindingLinks
from web.services import side_effects as platform_side_effects

side_effects = platform_side_effects(
    BindingLinks("http://platform.test", "test-secret")
)  # as web/services.py gives them


@pytest.mark.parametrize(
    "text,level",
    [
        ("1", 5),
        ("２", 4),
        ("三", 3),
        ("4", 2),
        ("第5个", 1),
        ("非常满意", 5),
        ("满意", 4),
        ("基本满意", 3),
        ("不满意", 2),
        ("非常不满意", 1),
        ("还行吧", 3),
    ],
)
def test_a_typed_number_or_level_word_is_a_rating(text, level):
    assert parse_level(text) == level


@pytest.mark.parametrize(
    "text", ["6", "我想预约结婚登记", "低保标准是多少，我家三口人每个月收入不到两千块钱能不能申请"]
)
def test_anything_else_is_not(text):
    assert parse_level(text) is None


def _tracker(events: list[dict], text: str = "", requested: str | None = None, entities: list | None = None) -> Tracker:
    return Tracker.from_dict(
        {
            "sender_id": "s",
            "slots": {"requested_slot": requested},
            "events": events,
            "latest_message": {"text": text, "entities": entities or []},
            "active_loop": {"name": "feedback_form"} if requested else {},
        }
    )


ASKED = {"event": "active_loop", "name": "feedback_form"}
URGENT = {
    "event": "bot",
    "text": "转人工",
    "data": {"custom": {"handoff": {"reason": "sensitive", "priority": "urgent"}}},
}


def test_asked_once_per_session_and_never_in_a_sensitive_one():
    assert may_ask(_tracker([]))
    assert not may_ask(_tracker([ASKED]))
    assert may_ask(_tracker([ASKED, {"event": "session_started"}]))
    assert not may_ask(_tracker([URGENT]))
    offer = executor.run("action_offer_rating", _tracker([URGENT]), {})
    assert offer["events"] == [] and offer["responses"] == []
    assert executor.run("action_offer_rating", _tracker([]), {})["events"][-1]["name"] == "feedback_form"


def test_the_form_takes_a_tap_or_a_number_and_asks_a_comment_only_when_unhappy():
    answered = [ASKED, {"event": "user", "text": "x"}]
    run = lambda t: [(e["name"], e["value"]) for e in executor.run("validate_feedback_form", t, {})["events"]]  # noqa: E731
    assert run(
        _tracker(answered, "/feedback_answer", "feedback_level", [{"entity": "feedback_level", "value": "5"}])
    ) == [("feedback_level", "5"), ("feedback_comment", "-")]
    assert run(_tracker(answered, "4", "feedback_level")) == [("feedback_level", "2")]
    # not an answer: the form ends as skipped, and the submit action replays the message
    assert run(_tracker(answered, "附近有长者食堂吗", "feedback_level")) == [
        ("feedback_level", "skipped"),
        ("feedback_comment", "-"),
    ]
    assert run(_tracker(answered, "窗口排队太久了", "feedback_comment")) == [("feedback_comment", "窗口排队太久了")]
    assert run(_tracker(answered, "没有了", "feedback_comment")) == [("feedback_comment", "-")]
    assert run(_tracker([ASKED], "满意", "feedback_level")) == []  # said before the question was asked


@pytest.fixture
def sessions(db_url) -> sessionmaker:
    upgrade("platform", db_url)
    return sessionmaker(make_engine(db_url), expire_on_commit=False)


def _conversation(sessions, sender: str, priority: str | None = None) -> int:
    with sessions.begin() as sess:
        conv = Conversation(sender_id=sender, channel="web", handoff_priority=priority)
        sess.add(conv)
        sess.flush()
        return conv.id


def _rate(sessions, conv_id: int, payload: dict) -> dict:
    with sessions.begin() as sess:
        return side_effects.apply(sess, sess.get(Conversation, conv_id), {"rating": payload})


def test_a_low_rating_opens_a_follow_up_and_is_an_analytics_event(sessions):
    conv_id = _conversation(sessions, "web:f1")
    assert _rate(sessions, conv_id, {"level": 2, "task": "marriage_booking", "comment": "等太久"}).custom == {}
    _rate(sessions, conv_id, {"level": 5, "task": "marriage_booking"})  # a second rating the same day is ignored
    with sessions() as sess:
        ratings = sess.scalars(select(Rating)).all()
        assert [(r.level, r.label, r.comment, r.follow_up) for r in ratings] == [(2, "不满意", "等太久", "open")]
        event = sess.scalar(select(AnalyticsEvent).where(AnalyticsEvent.kind == "rating"))
        assert (event.value, event.flow) == (2, "marriage_booking")


def test_a_good_rating_needs_no_follow_up_and_a_sensitive_conversation_is_not_recorded(sessions):
    happy = _conversation(sessions, "web:f2")
    sensitive = _conversation(sessions, "web:f3", priority="urgent")
    _rate(sessions, happy, {"level": 4, "task": "question"})
    _rate(sessions, sensitive, {"level": 1, "task": "handoff"})
    with sessions() as sess:
        assert [(r.conversation_id, r.follow_up) for r in sess.scalars(select(Rating))] == [(happy, None)]
