"""The first step of an assistance request (actions/assistance/triage.py) against the real back-office app
in-process (no Rasa): what a question about the standards is answered with."""

from __future__ import annotations

import pytest

import actions.assistance  # noqa: F401  (registers the actions)
from actions import executor, services
from actions.tracker import Tracker
from tests.conftest import backoffice_test_client
from tests.eldercare.conftest import TOKEN
from tests.eldercare.test_actions import InProcessBackoffice


@pytest.fixture
def triage(seeded_backoffice_url, monkeypatch):
    client = backoffice_test_client(seeded_backoffice_url, TOKEN, monkeypatch)
    monkeypatch.setattr(services, "backoffice", lambda: InProcessBackoffice(client))

    def _run(text: str) -> list[str]:
        tracker = Tracker.from_dict(
            {
                "sender_id": "web:triage",
                "slots": {},
                "events": [{"event": "user", "text": text}],
                "latest_message": {"text": text, "intent": {"name": "assistance_eligibility"}, "entities": []},
            }
        )
        return [m["text"] or m["response"] for m in executor.run("action_assistance_triage", tracker, {})["responses"]]

    return _run


def test_a_question_about_tekun_is_answered_with_its_conditions_not_only_the_dibao_standard(triage):
    said = triage("我是一个孤老没有儿女特困供养是什么条件")
    assert said[0].startswith("特困人员救助供养：") and "无劳动能力" in said[0] and "60周岁以上" in said[0]
    assert said[1:] == ["utter_assistance_standard", "utter_assistance_precheck_intro"]


def test_a_question_about_dibao_gets_the_standard_alone(triage):
    assert triage("我家能不能吃低保") == ["utter_assistance_standard", "utter_assistance_precheck_intro"]
