"""A waiting resident who leaves the queue ("不等了") while Rasa's tracker cannot be resumed: the desk tries
again, and when Rasa stays down the resident stays with the desk and is told so, never left with a silent bot.

Through the web app's routing point (real Redis; SQLite and PostgreSQL) with the desk's Rasa stand-in answering
the tracker events with 500 (tests/handoff/conftest.py); test_live_triggers.py leaves the queue with the real Rasa.
"""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from tests.handoff.test_console import ask_for_a_person
from web.conversations.models import Conversation, Message
from web.conversations.router import Inbound
from web.handoff import config
from web.handoff.models import Ticket

pytestmark = pytest.mark.usefixtures("redis_client")
RESUME = {"event": "resume"}


def _resumes(stand_in, sender: str) -> int:
    return sum(1 for _, path, body in stand_in.calls if path.endswith(f"/{sender}/tracker/events") and body == RESUME)


def _state(app, conv_id: int) -> tuple[str, str, str | None]:
    with app.extensions["database"].sessions() as sess:
        ticket = sess.scalar(select(Ticket).where(Ticket.conversation_id == conv_id))
        return sess.get(Conversation, conv_id).state, ticket.status, ticket.outcome


def test_a_resume_that_fails_once_is_tried_again_and_the_resident_leaves(app, stand_in):
    conv_id = ask_for_a_person(app, stand_in, "web:leaveOnce", channel="web")
    stand_in.events_failing = 1
    replies = app.extensions["router"].handle(Inbound("web", "web:leaveOnce", "不等了"))
    assert [r.text for r in replies] == [config.desk().texts["left_queue"]]
    assert _resumes(stand_in, "web:leaveOnce") == 2  # the first refused, the second took
    assert _state(app, conv_id) == ("bot", "closed", "resident_left")
    stand_in.webhook_reply = [{"recipient_id": "web:leaveOnce", "text": "您好，想办什么？"}]
    assert app.extensions["router"].handle(Inbound("web", "web:leaveOnce", "你好"))[0].text == "您好，想办什么？"


def test_a_resume_that_keeps_failing_keeps_the_resident_with_the_desk_and_tells_them(app, stand_in, caplog):
    conv_id = ask_for_a_person(app, stand_in, "web:leaveNever", channel="web")
    stand_in.events_failing = -1
    with caplog.at_level(logging.ERROR, logger="web.handoff.rasa_api"):
        [reply] = app.extensions["router"].handle(Inbound("web", "web:leaveNever", "不等了"))
    assert reply.text.startswith(config.desk().texts["leave_failed"]) and "下一位" in reply.text  # and their place
    assert _resumes(stand_in, "web:leaveNever") == 3
    assert "could not resume the bot's tracker" in caplog.text
    assert _state(app, conv_id) == ("queued", "waiting", None)  # still in the queue, in the same place
    with app.extensions["database"].sessions() as sess:
        said = sess.scalars(select(Message.text).where(Message.conversation_id == conv_id).order_by(Message.id))
        assert list(said)[-2:] == ["不等了", reply.text]  # the agent sees both
    # the desk still answers: nobody is left talking to a paused bot
    asked = len(stand_in.paths())
    assert (
        app.extensions["router"].handle(Inbound("web", "web:leaveNever", "在吗")) == []
    )  # reminded only after a while
    assert [p for p in stand_in.paths()[asked:] if p.startswith("/webhooks/")] == []
    # Rasa is back: the next "不等了" gives the bot back
    stand_in.events_failing = 0
    replies = app.extensions["router"].handle(Inbound("web", "web:leaveNever", "不等了"))
    assert [r.text for r in replies] == [config.desk().texts["left_queue"]]
    assert _state(app, conv_id) == ("bot", "closed", "resident_left")
