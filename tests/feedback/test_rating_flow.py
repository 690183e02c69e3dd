"""好差评 in real conversations: web → Rasa (platform channel) → actions → web side effect → database.

The platform asks for a rating as a handback does (``web.handoff.handback.start``:
``feedback_request`` through the platform channel); the resident answers through the web chat."""

from __future__ import annotations

import uuid

import pytest
import requests
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from common.db import make_engine
from web.analytics.models import AnalyticsEvent
from web.conversations.models import Conversation
from web.feedback.models import Rating
from web.handoff import handback
from web.rasa_client import RasaClient

pytestmark = pytest.mark.stack


def _say(live_stack, sender: str, text: str) -> list[dict]:
    resp = requests.post(
        live_stack.url("web") + "/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=60
    )
    resp.raise_for_status()
    return resp.json()


def _ask_for_rating(live_stack, sender: str) -> list[dict]:
    """What the platform does when a task has ended: the bot is asked for ``feedback_request``."""
    bot = RasaClient(tuple(live_stack.env["RASA_URL"].split(",")), live_stack.env["RASA_TOKEN"])
    with sessionmaker(make_engine(live_stack.env["DATABASE_URL"])).begin() as sess:
        conv = sess.scalar(select(Conversation).where(Conversation.sender_id == "web:" + sender))
        asked = handback.start(sess, bot, conv, "feedback_request", {"feedback_task": "question"})
    return [m.to_rest("web:" + sender) for m in asked]


def _ratings(live_stack, sender: str) -> list[Rating]:
    with sessionmaker(make_engine(live_stack.env["DATABASE_URL"]))() as sess:
        conv = sess.scalar(select(Conversation).where(Conversation.sender_id == "web:" + sender))
        return list(sess.scalars(select(Rating).where(Rating.conversation_id == conv.id)))


def test_an_unhappy_typed_rating_with_a_comment_opens_a_follow_up_and_is_asked_once(live_stack):
    sender = "rating-" + uuid.uuid4().hex[:8]
    _say(live_stack, sender, "你好")  # the resident talked to the bot before the task ended
    asked = _ask_for_rating(live_stack, sender)
    buttons = [b["title"] for m in asked for b in m.get("buttons", [])]
    assert buttons == ["非常满意", "满意", "基本满意", "不满意", "非常不满意"]
    comment_asked = _say(live_stack, sender, "4")  # the fourth choice: 不满意
    assert any("哪里做得不够好" in m.get("text", "") for m in comment_asked)
    thanks = _say(live_stack, sender, "窗口排队排了一个多小时")
    assert any("对不起" in m.get("text", "") for m in thanks) and all("custom" not in m for m in thanks)
    [rating] = _ratings(live_stack, sender)
    assert (rating.level, rating.comment, rating.follow_up, rating.task) == (
        2,
        "窗口排队排了一个多小时",
        "open",
        "question",
    )
    assert not any(m.get("buttons") for m in _ask_for_rating(live_stack, sender))
    with sessionmaker(make_engine(live_stack.env["DATABASE_URL"]))() as sess:
        kinds = {
            (e.kind, e.flow)
            for e in sess.scalars(
                select(AnalyticsEvent).where(AnalyticsEvent.conversation_id == rating.conversation_id)
            )
        }
    assert {("flow_started", "feedback_form"), ("flow_completed", "feedback_form"), ("rating", "question")} <= kinds


def test_a_tapped_good_rating_needs_no_comment(live_stack):
    sender = "rating-" + uuid.uuid4().hex[:8]
    _say(live_stack, sender, "你好")
    _ask_for_rating(live_stack, sender)
    thanks = _say(live_stack, sender, '/feedback_answer{"feedback_level": "5"}')
    assert any("谢谢您的评价" in m.get("text", "") for m in thanks)
    assert [(r.level, r.comment, r.follow_up) for r in _ratings(live_stack, sender)] == [(5, None, None)]


def test_a_new_question_instead_of_a_rating_is_answered_and_nothing_is_recorded(live_stack):
    sender = "rating-" + uuid.uuid4().hex[:8]
    _say(live_stack, sender, "你好")
    _ask_for_rating(live_stack, sender)
    answer = _say(live_stack, sender, "/greet")
    assert answer and not any(m.get("buttons") for m in answer)
    assert _ratings(live_stack, sender) == []
