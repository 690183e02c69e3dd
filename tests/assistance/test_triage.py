"""The first step of an assistance request (actions/assistance/triage.py) against the real back-office app
in-process (no Rasa): what a question about the standards is answered with."""

from __future__ import annotations

import pytest

import actions.assistance  # noqa: F401  (registers the actions)
from actions import executor, services
from actions.tracker import Tracker
from tests.conftest import backoffice_test_client
from tests.eldercare.conftest import AUTH, TOKEN
from tests.in_process_backoffice import InProcessBackoffice


@pytest.fixture
def triage(seeded_backoffice_url, monkeypatch):
    client = backoffice_test_client(seeded_backoffice_url, TOKEN, monkeypatch)
    monkeypatch.setattr(services, "backoffice", lambda: InProcessBackoffice(client, AUTH))

    def _run(text: str) -> tuple[list[str], dict]:
        tracker = Tracker.from_dict(
            {
                "sender_id": "web:triage",
                "slots": {},
                "events": [{"event": "user", "text": text}],
                "latest_message": {"text": text, "intent": {"name": "assistance_eligibility"}, "entities": []},
            }
        )
        result = executor.run("action_assistance_triage", tracker, {})
        slots = {e["name"]: e["value"] for e in result["events"] if e["event"] == "slot"}
        return [m["text"] or m["response"] for m in result["responses"]], slots

    return _run


def test_a_question_about_tekun_is_answered_with_its_conditions_not_only_the_dibao_standard(triage):
    said, _slots = triage("我是一个孤老没有儿女特困供养是什么条件")
    assert said[0].startswith("特困人员救助供养：") and "无劳动能力" in said[0] and "60周岁以上" in said[0]
    assert said[1:] == ["utter_assistance_standard", "utter_assistance_precheck_intro"]


def test_a_question_about_dibao_gets_the_standard_alone(triage):
    said, _slots = triage("我家能不能吃低保")
    assert said == ["utter_assistance_standard", "utter_assistance_precheck_intro"]


def test_the_figures_in_the_question_are_kept_for_the_pre_check(triage):
    _said, slots = triage("我家在普陀区，三口人，每个月收入加起来两千块，存款没有，也没车，我能申请低保吗")
    assert slots["district"] == "普陀区" and slots["assistance_household_size"] == 3
    assert slots["assistance_monthly_income"] == 2000 and slots["assistance_savings"] == 0
    assert slots["assistance_vehicles"] == 0 and slots["assistance_circumstances"] is None  # still asked
