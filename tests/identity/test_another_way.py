"""Never the same request to verify a third time the same way (actions/identity.py, run for every action by the
executor): a real action asking an unverified resident, against the real back-office app in-process (no Rasa)."""

from __future__ import annotations

import pytest

import actions.assistance  # noqa: F401  (registers the actions)
from actions import executor, identity, services
from actions.tracker import Tracker
from tests.conftest import backoffice_test_client
from tests.eldercare.conftest import AUTH, TOKEN
from tests.in_process_backoffice import InProcessBackoffice

ASKED = {"event": "bot", "text": "", "data": {"custom": {"identity": {"resume": "/assistance_progress"}}}}
ANSWERED = {"event": "bot", "text": "您好！", "data": {}}


def user(text: str) -> dict:
    return {"event": "user", "text": text}


@pytest.fixture
def progress(seeded_backoffice_url, monkeypatch):
    client = backoffice_test_client(seeded_backoffice_url, TOKEN, monkeypatch)
    monkeypatch.setattr(services, "backoffice", lambda: InProcessBackoffice(client, AUTH))

    def _run(events: list[dict]) -> list[dict]:
        tracker = Tracker.from_dict(
            {
                "sender_id": "web:never-verified",
                "events": events,
                "latest_message": {"text": "我的申请到哪了", "intent": {"name": "assistance_progress"}},
            }
        )
        return executor.run("action_assistance_progress", tracker, {})["responses"]

    return _run


def test_the_third_request_in_a_row_also_says_what_else_can_be_done(progress):
    third = progress([user("查进度"), ASKED, user("怎么弄啊"), ASKED, user("我的申请到哪了")])
    assert "identity" in third[0]["custom"] and third[1]["response"] == "utter_identity_another_way"


@pytest.mark.parametrize(
    "before",
    [
        [user("查进度")],  # the first request
        [user("查进度"), ASKED, user("我的申请到哪了")],  # the second
        [user("查进度"), ASKED, user("你好"), ANSWERED, user("查进度"), ASKED, user("我的申请到哪了")],  # not in a row
    ],
)
def test_the_first_two_requests_are_the_link_alone(progress, before):
    said = progress(before)
    assert len(said) == 1 and "identity" in said[0]["custom"]


def test_turns_are_counted_from_the_conversations_events():
    assert identity.asked_in_a_row([]) == 0
    assert identity.asked_in_a_row([user("a"), ASKED, user("b"), ASKED, user("c")]) == 2
    assert identity.asked_in_a_row([user("a"), ASKED, user("b"), ANSWERED, user("c")]) == 0
