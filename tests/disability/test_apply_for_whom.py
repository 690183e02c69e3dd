"""Whom "我要申请…" applies for (actions/benefits/disability.py) when several in the household can: the resident,
read back for a yes, with the others named for later; a family member named, or a button, still chooses. Issue 22:
"我要申请重度残疾人护理补贴" then "是的" was answered "didn't understand" after a list of two."""

from __future__ import annotations

from typing import Any

import pytest

from actions import services
from actions.benefits import disability
from actions.dispatcher import Dispatcher
from actions.tracker import Tracker


def member(member_id: int, self_: bool, name: str) -> dict[str, Any]:
    subsidy = {"eligible": True, "monthly": 200, "reasons": [{"text": "持肢体二级残疾证"}]}
    return {
        "id": member_id,
        "self": self_,
        "name": name,
        "grade": 2,
        "category": "肢体",
        "household_status": "低保",
        "receiving": False,
        "open_cases": [],
        "subsidies": {"disability_care": subsidy, "disability_living": {**subsidy, "monthly": 380}},
    }


class Household:
    def get(self, path: str, **params: Any) -> dict[str, Any]:
        assert path == "/benefits/disability/precheck"
        return {
            "members": [member(8, False, "贾**"), member(7, True, "王**")],
            "documents": {"disability_care": [{"name": "残疾证"}], "disability_living": [{"name": "低保证"}]},
            "caveat": "",
        }


@pytest.fixture(autouse=True)
def household(monkeypatch):
    monkeypatch.setattr(services, "backoffice", lambda: Household())


def apply(text: str, entities: list[dict] | None = None) -> tuple[Dispatcher, list[dict]]:
    tracker = Tracker.from_dict(
        {
            "sender_id": "oForWhom",
            "slots": {},
            "latest_message": {
                "text": text,
                "intent": {"name": "disability_subsidy_apply"},
                "entities": entities or [],
            },
            "events": [{"event": "user", "text": text}],
        }
    )
    dispatcher = Dispatcher()
    return dispatcher, disability.apply(dispatcher, tracker, {})


def test_applying_without_naming_anyone_is_for_the_resident_with_the_others_named():
    dispatcher, events = apply("我要申请重度残疾人护理补贴")
    chosen = {e["name"]: e["value"] for e in events}
    assert chosen["disability_member"] == "7|disability_care"  # the one subsidy named
    text = dispatcher.messages[0]["text"]
    assert text.startswith("您家贾**（") and "帮您本人（" in text and "现在就帮您提交吗？" in text


def test_a_family_member_named_or_picked_still_chooses():
    dispatcher, events = apply("帮我老婆申请残疾人两项补贴")
    assert "先帮哪一位申请" in dispatcher.messages[0]["text"]
    _d, events = apply("/disability_subsidy_apply", [{"entity": "disability_member", "value": "8"}])
    assert {e["name"]: e["value"] for e in events}["disability_member"].startswith("8|")


def test_the_check_reads_back_the_residents_own_offer_when_several_can_apply():
    """Issue 22: "我能领残疾人两项补贴吗" then "好的" was "not understood" when another member had a certificate too."""
    tracker = Tracker.from_dict(
        {
            "sender_id": "oForWhom",
            "slots": {},
            "latest_message": {"text": "我能领残疾人两项补贴吗", "intent": {"name": "disability_subsidy_eligibility"}},
            "events": [],
        }
    )
    dispatcher = Dispatcher()
    events = disability.check(dispatcher, tracker, {})
    assert {e["name"]: e["value"] for e in events}["disability_member"] == "7|disability_care,disability_living"
    assert "您家贾**（肢体二级残疾，家里是低保）也可以申请" in dispatcher.messages[0]["text"]
