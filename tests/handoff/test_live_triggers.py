"""Handoff triggers through the real stack (Rasa's rules, the action server, the web router).

Rasa intent syntax (``/nlu_fallback``, ``/complain``) keeps these about the dialogue, not the NLU.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import requests
import yaml
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from common.db import make_engine
from tests.handoff.conftest import open_all_day
from web.conversations.models import Conversation
from web.handoff.models import Ticket

pytestmark = pytest.mark.stack
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def desk_open(live_stack):
    sessions = sessionmaker(make_engine(live_stack.env["DATABASE_URL"]), expire_on_commit=False)
    with sessions.begin() as sess:
        open_all_day(sess)
    return sessions


def say(stack, sender: str, text: str) -> str:
    resp = requests.post(
        stack.url("web") + "/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=30
    )
    resp.raise_for_status()
    return "\n".join(m.get("text", "") for m in resp.json())


def tracker(stack, sender_id: str) -> dict:
    return requests.get(
        f"{stack.url('rasa')}/conversations/{sender_id}/tracker", params={"token": stack.env["RASA_TOKEN"]}, timeout=10
    ).json()


def test_two_misunderstandings_in_a_row_go_to_a_person(live_stack, desk_open):
    sender = f"fallback-{int(time.time())}"
    say(live_stack, sender, "/nlu_fallback")  # the first miss: the bot asks to say it again
    with desk_open() as sess:
        assert (
            sess.scalar(select(Ticket).join(Ticket.conversation).where(Conversation.sender_id == "web:" + sender))
            is None
        )
    second = say(live_stack, sender, "/nlu_fallback")
    assert "几次都没听明白" in second and ("您是下一位" in second or "前面还有" in second)
    with desk_open() as sess:
        ticket = sess.scalar(select(Ticket).order_by(Ticket.id.desc()))
        assert (ticket.reason, ticket.status) == ("fallback", "waiting")
    assert tracker(live_stack, "web:" + sender)["paused"] is True
    assert say(live_stack, sender, "还有人吗") == ""  # now the desk's, not the bot's


def test_a_resident_who_will_not_wait_leaves_the_queue_and_the_bot_answers_again(live_stack, desk_open):
    sender = f"leaves-{int(time.time())}"
    say(live_stack, sender, "/nlu_fallback")
    say(live_stack, sender, "/nlu_fallback")  # queued, the tracker paused
    assert tracker(live_stack, "web:" + sender)["paused"] is True
    left = say(live_stack, sender, "算了不等了")
    assert "不等工作人员了" in left
    with desk_open() as sess:
        ticket = sess.scalar(select(Ticket).join(Ticket.conversation).where(Conversation.sender_id == "web:" + sender))
        assert (ticket.status, ticket.outcome) == ("closed", "resident_left")
    assert tracker(live_stack, "web:" + sender)["paused"] is False  # resumed once the leaving committed
    assert say(live_stack, sender, "/greet") != ""  # the bot answers again


def test_a_complaint_is_queued_and_the_bot_says_how_long(live_stack, desk_open):
    sender = f"complain-{int(time.time())}"
    text = say(live_stack, sender, "/complain")
    handoff_text = yaml.safe_load((ROOT / "bot/domain/handoff.yml").read_text(encoding="utf-8"))["responses"][
        "utter_handoff"
    ][0]["text"]
    assert text.startswith(handoff_text) and ("您是下一位" in text or "前面还有" in text)
    with desk_open() as sess:
        assert sess.scalar(select(Ticket.reason).order_by(Ticket.id.desc())) == "complaint"
