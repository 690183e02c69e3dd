"""Applying as a verified resident, in-process: the triage asks an unverified sender to verify before the form,
the form fills a verified resident's own details from the registry and picks a family member from their
household (by relation, name or number), never from a typed ID number."""

from __future__ import annotations

from typing import Any

import pytest

import actions.assistance  # noqa: F401  (registers the actions)
from actions import executor, services
from actions.tracker import Tracker
from common.backoffice_client import BackofficeError, BackofficeUnavailable

ME = {
    "id": 2,
    "id_number": "310107198805052223",
    "name": "李秀英",
    "phone": "13811112222",
    "relation": "子女",
    "hukou_community_code": "310107005001",
    "household": {
        "community_code": "310107005001",
        "members": [
            {
                "id": 1,
                "id_number": "310107196001011234",
                "name": "王建国",
                "gender": "男",
                "relation": "户主",
                "age": 66,
            },
            {
                "id": 3,
                "id_number": "310107196202022246",
                "name": "李桂兰",
                "gender": "女",
                "relation": "配偶",
                "age": 64,
            },
            {
                "id": 2,
                "id_number": "310107198805052223",
                "name": "李秀英",
                "gender": "女",
                "relation": "子女",
                "age": 38,
            },
        ],
    },
}


class Registry:
    """The back-office reads the actions make: the sender's registry entry, the community's name."""

    def __init__(self, entry: dict[str, Any] | None) -> None:
        self.entry = entry

    def get(self, path: str, **params: Any) -> dict[str, Any]:
        if path.startswith("/residents/by-openid/"):
            if self.entry is None:
                raise BackofficeError(404, "not_bound", "这个微信号还没有实名绑定")
            return self.entry
        if path == "/assistance/advisors":
            return {"community": {"code": params["community"], "name": "曹杨一村居委会"}}
        raise AssertionError(path)


@pytest.fixture
def registry(monkeypatch):
    def use(entry: dict[str, Any] | None) -> None:
        monkeypatch.setattr(services, "backoffice", lambda: Registry(entry))

    return use


def run(name: str, text: str, slots: dict[str, Any], intent: str | None = None, entities: list | None = None) -> dict:
    tracker = Tracker.from_dict(
        {
            "sender_id": "oWeChat",
            "slots": slots,
            "latest_message": {"text": text, "intent": {"name": intent}, "entities": entities or []},
            "events": [],
            "active_loop": {"name": "assistance_apply_form"},
        }
    )
    return executor.run(name, tracker, {})


def slots(result: dict) -> dict:
    return {e["name"]: e["value"] for e in result["events"] if e["event"] == "slot"}


def answer(requested: str, text: str, **known: Any) -> dict:
    return run(
        "validate_assistance_apply_form",
        text,
        {"requested_slot": requested, "assistance_identity": "verified", **known},
    )


def test_an_unverified_sender_is_asked_to_verify_before_the_first_question(registry):
    registry(None)
    triage = run("action_assistance_triage", "我想申请低保", {}, "assistance_apply")
    assert slots(triage)["assistance_type"] == "低保" and triage["responses"] == []
    result = run("action_assistance_identity", "我想申请低保", {"assistance_type": "低保"}, "assistance_apply")
    assert slots(result) == {"assistance_identity": "unverified"}
    [asked] = result["responses"]
    assert asked["custom"]["identity"] == {"resume": '/assistance_apply{"assistance_type": "低保"}', "what": "低保申请"}


def test_a_verified_sender_starts_the_form(registry):
    registry(ME)
    result = run("action_assistance_identity", "我想申请救助", {}, "assistance_apply")
    assert slots(result) == {"assistance_identity": "verified"} and result["responses"] == []


def test_with_the_back_office_down_the_form_starts_and_is_typed(monkeypatch):
    class Down:
        def get(self, path: str, **params: Any) -> dict[str, Any]:
            raise BackofficeUnavailable("down")

    monkeypatch.setattr(services, "backoffice", lambda: Down())
    result = run("action_assistance_identity", "我想申请救助", {}, "assistance_apply")
    assert slots(result) == {"assistance_identity": "unknown"} and result["responses"] == []
    typed = slots(
        run(
            "validate_assistance_apply_form",
            "给我自己办",
            {"requested_slot": "assistance_applicant", "assistance_identity": "unknown"},
        )
    )
    assert typed == {
        "assistance_applicant": "本人",
        "assistance_relation": "本人",
        "assistance_member": "",
        "requested_slot": "assistance_type",  # the form asks its next question itself
    }


def test_for_themselves_everything_comes_from_the_registry(registry):
    registry(ME)
    got = slots(answer("assistance_applicant", "给我自己办"))
    assert got["assistance_relation"] == "本人" and got["assistance_member"] == "李**"
    assert got["assistance_id_number"] == ME["id_number"] and got["assistance_phone"] == ME["phone"]
    assert got["assistance_community"] == "曹杨一村居委会"


@pytest.mark.parametrize(
    "said, expected",
    [("帮我妈申请", "310107196202022246"), ("替我爸办", "310107196001011234"), ("给王建国申请", "310107196001011234")],
)
def test_a_family_member_is_found_in_the_household_by_relation_or_name(registry, said, expected):
    registry(ME)
    got = slots(answer("assistance_applicant", said))
    assert got["assistance_id_number"] == expected and got["assistance_phone"] == ME["phone"]


def test_a_relation_not_in_the_household_lists_the_members_to_pick_from(registry):
    registry(ME)
    result = answer("assistance_applicant", "帮我儿子申请", assistance_type="低保")
    got = slots(result)
    assert got["assistance_member"] is None and got.get("assistance_id_number") is None
    listed = result["responses"][-1]
    assert listed["response"] == "utter_assistance_ask_member" and got["requested_slot"] == "assistance_member"
    assert "1. 王**（66岁）" in listed["members"] and "李秀英" not in listed["members"]
    picked = slots(answer("assistance_member", "2", assistance_type="低保", assistance_relation="子女"))
    assert picked["assistance_id_number"] == "310107196202022246" and picked["assistance_member"] == "李**"
    stranger = answer(
        "assistance_member", "张三", assistance_type="低保", assistance_applicant="家人", assistance_relation="子女"
    )
    assert slots(stranger) == {"assistance_member": None, "requested_slot": "assistance_member"}
    assert stranger["responses"][0]["response"] == "utter_assistance_not_in_household"


def test_a_resident_alone_in_the_household_cannot_apply_for_someone_else(registry):
    alone = {**ME, "household": {**ME["household"], "members": [ME["household"]["members"][2]]}}
    registry(alone)
    result = answer("assistance_applicant", "帮我妈申请")
    assert result["responses"][0]["response"] == "utter_assistance_only_household"
    assert {"event": "active_loop", "name": None} in [
        {k: e.get(k) for k in ("event", "name")} for e in result["events"]
    ]


def test_the_read_back_is_masked_and_another_phone_is_read_back_again(registry):
    registry(ME)
    known = {
        "assistance_type": "低保",
        "assistance_applicant": "家人",
        "assistance_relation": "母亲",
        "assistance_member": "李**",
        "assistance_id_number": "310107196202022246",
        "assistance_phone": ME["phone"],
        "assistance_community": "曹杨一村居委会",
        "assistance_hardship": "没有收入",
    }
    read = answer("assistance_consent", "同意", **known)["responses"][-1]
    assert read["response"] == "utter_assistance_read_back"
    assert read["applicant"] == "您的母亲（李**）" and "310107196202022246" not in read["id_number"]
    changed = answer("assistance_confirmed", "打这个吧 13900001111", **known, assistance_consent=True)
    assert slots(changed) == {
        "assistance_phone": "13900001111",
        "assistance_confirmed": None,
        "requested_slot": "assistance_confirmed",
    }
    assert changed["responses"][-1]["phone"] == "139****1111"  # read back again with the new phone


def test_who_it_is_for_said_while_the_kind_is_asked_is_kept(registry):
    """Issue 22 (conversation suite): "给我自已办" answered the next question early and was lost; the kind is asked
    again, and the resident is not asked who it is for."""
    registry(ME)
    early = answer("assistance_type", "给我自已办")
    got = slots(early)
    assert got["assistance_applicant"] == "本人" and got["assistance_id_number"] == ME["id_number"]
    assert got["assistance_type"] is None and got["requested_slot"] == "assistance_type"
    both = slots(answer("assistance_type", "替我妈申请低保"))
    assert both["assistance_type"] == "低保" and both["assistance_relation"] == "母亲"
    assert both["assistance_id_number"] == "310107196202022246"
