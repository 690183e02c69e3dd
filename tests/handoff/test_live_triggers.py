"""Handoff triggers through the real stack (Rasa's rules, the action server, the web router).

Rasa intent syntax (``/nlu_fallback``, ``/complain``) keeps these about the dialogue, not the NLU.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker
from werkzeug.wrappers import Request, Response

from common import settings
from common.db import make_engine
from tests.handoff.conftest import open_all_day
from tests.serving import served
from web.conversations.models import Conversation
from web.conversations.router import Inbound
from web.handoff import config
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
    assert tracker(live_stack, "web:" + sender)["paused"] is False  # resumed before the bot had it again
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


class FailingResumes:
    """The real Rasa behind a proxy that refuses the next ``failing`` resume events with 500 (-1: every one), as a
    Rasa whose tracker store errors does; every other call reaches Rasa as it is."""

    def __init__(self, rasa_url: str) -> None:
        self.rasa_url, self.failing, self.refused = rasa_url, 0, 0

    @Request.application
    def app(self, request: Request) -> Response:
        body = request.get_data()
        if request.path.endswith("/tracker/events") and b'"resume"' in body and self.failing:
            self.failing -= self.failing > 0
            self.refused += 1
            return Response('{"status": "failure"}', status=500, content_type="application/json")
        resp = requests.request(
            request.method,
            self.rasa_url + request.full_path,
            data=body,
            headers={k: v for k, v in request.headers if k.lower() not in ("host", "content-length")},
            timeout=60,
        )
        return Response(resp.content, status=resp.status_code, content_type=resp.headers.get("Content-Type"))


@pytest.fixture
def failing_resumes(live_stack, desk_open, monkeypatch) -> Iterator[tuple[Any, FailingResumes]]:
    """The web app in this process on the live stack's databases, Redis and Rasa, reaching Rasa through the proxy."""
    from web.app import create_app

    proxy = FailingResumes(live_stack.url("rasa"))
    for key, value in live_stack.env.items():
        monkeypatch.setenv(key, value)
    with served(proxy.app) as proxy_url:
        app = create_app(dataclasses.replace(settings.load(), rasa_urls=(proxy_url,)))
        yield app, proxy
        app.extensions["database"].engine.dispose()


def _queue(app, sender: str) -> None:
    for _ in range(2):  # two misunderstandings: queued, the tracker paused (through the proxy)
        app.extensions["router"].handle(Inbound("web", sender, "/nlu_fallback"))


def _where(desk_open, sender: str) -> tuple[str, str]:
    with desk_open() as sess:
        conv = sess.scalar(select(Conversation).where(Conversation.sender_id == sender))
        ticket = sess.scalar(select(Ticket).where(Ticket.conversation_id == conv.id).order_by(Ticket.id.desc()))
        return conv.state, ticket.status


def test_leaving_the_queue_while_rasa_refuses_the_resume_once(live_stack, desk_open, failing_resumes):
    app, proxy = failing_resumes
    sender = f"web:leave-once-{int(time.time())}"
    _queue(app, sender)
    assert tracker(live_stack, sender)["paused"] is True
    proxy.failing = 1
    [left] = app.extensions["router"].handle(Inbound("web", sender, "不等了"))
    assert left.text == config.desk().texts["left_queue"] and proxy.refused == 1  # tried again, and it took
    assert tracker(live_stack, sender)["paused"] is False
    assert _where(desk_open, sender) == ("bot", "closed")
    assert app.extensions["router"].handle(Inbound("web", sender, "/greet"))  # the bot answers again


def test_leaving_the_queue_while_rasa_keeps_refusing_keeps_the_resident_with_the_desk(
    live_stack, desk_open, failing_resumes
):
    app, proxy = failing_resumes
    sender = f"web:leave-never-{int(time.time())}"
    _queue(app, sender)
    proxy.failing = -1
    [told] = app.extensions["router"].handle(Inbound("web", sender, "不等了"))
    assert told.text.startswith(config.desk().texts["leave_failed"]) and proxy.refused == 3
    assert tracker(live_stack, sender)["paused"] is True  # Rasa would say nothing to them
    assert _where(desk_open, sender) == ("queued", "waiting")  # so they stay with the desk, which answers
    proxy.failing = 0  # Rasa recovers: 不等了 again gives the bot back
    [left] = app.extensions["router"].handle(Inbound("web", sender, "不等了"))
    assert left.text == config.desk().texts["left_queue"]
    assert tracker(live_stack, sender)["paused"] is False
    assert app.extensions["router"].handle(Inbound("web", sender, "/greet"))
