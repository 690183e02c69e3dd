"""Issue 22's pre-check conversations that asked a question three times (tests/conversations/data): answers in
traditional characters and dialect, "不问了", a resident who asks to apply in the middle of the pre-check, and
the application's reading of who it is for. In-process, without a back-office (the sender's identity is then
unknown, as when the back-office is down: the form asks for what the registry would give)."""

from __future__ import annotations

import pytest

import actions.assistance  # noqa: F401  (registers the actions)
from actions import executor, services
from actions.assistance import parsing, registry
from actions.tracker import Tracker
from common.backoffice_client import BackofficeUnavailable
from tests.assistance.test_places import seeded_tree

OPENING = (
    "同志你好，我家老房子下雨天屋顶漏水，墙也裂了，修一下要好几千，我跟老伴退休金加起来才三千多，能不能申请点临时救助"
)


class Down:
    def get(self, path: str, **params):
        raise BackofficeUnavailable(path)


@pytest.fixture(autouse=True)
def backoffice_down(monkeypatch):
    monkeypatch.setattr(services, "backoffice", lambda: Down())


def run(action: str, text: str, intent: str | None, *, requested: str | None = None, events: list | None = None):
    history = events if events is not None else [{"event": "user", "text": text}]
    tracker = Tracker.from_dict(
        {
            "sender_id": "web:precheck",
            "slots": {"requested_slot": requested},
            "latest_message": {"text": text, "intent": {"name": intent}, "entities": []},
            "events": history,
            "active_loop": {"name": "assistance_check_form"} if requested else {},
        }
    )
    return executor.run(action, tracker, {})


def slots(result: dict) -> dict:
    return {e["name"]: e["value"] for e in result["events"] if e["event"] == "slot"}


def said(result: dict) -> list[str]:
    return [r.get("response") for r in result["responses"]]


def followups(result: dict) -> list[str]:
    return [e["name"] for e in result["events"] if e["event"] == "followup"]


@pytest.mark.parametrize("answer", ["沒有", "呒没", "冇"])
def test_none_in_traditional_characters_or_dialect_is_none(answer):
    """沒有 (traditional) and 呒没 (Shanghainese) at the savings question were "not a number" three times."""
    result = run("validate_assistance_check_form", answer, "affirm", requested="assistance_savings")
    assert slots(result)["assistance_savings"] == 0


def test_two_in_traditional_characters_and_shanghainese_people():
    assert parsing.amount("兩千") == 2000 and parsing.count("两家头") == 2 and parsing.yes_no("對", None) is True


def test_the_household_question_reads_one_person_in_a_story_and_just_me():
    story = "我老头子去年走了我一个人住退休金一千九百块钱看病吃药一个月要花一千多"
    result = run(
        "validate_assistance_check_form", story, "assistance_eligibility", requested="assistance_household_size"
    )
    assert slots(result)["assistance_household_size"] == 1
    assert slots(result)["assistance_monthly_income"] == 1900  # the figure right after 退休金, not the spending
    alone = run("validate_assistance_check_form", "就我自己", "inform", requested="assistance_household_size")
    assert slots(alone)["assistance_household_size"] == 1 and not followups(alone)


def test_saying_stop_in_words_stops_whatever_the_nlu_read():
    result = run(
        "validate_assistance_check_form",
        "不问了，我回去问问老伴家里存了多少钱",
        "nlu_fallback",
        requested="assistance_household_size",
    )
    assert said(result) == ["utter_assistance_stopped"]
    assert {"event": "active_loop", "name": None} in [
        {k: e.get(k) for k in ("event", "name")} for e in result["events"]
    ]


def test_asking_to_apply_in_the_middle_of_the_precheck_starts_the_application():
    result = run(
        "validate_assistance_check_form", "申请救助", "assistance_apply", requested="assistance_household_size"
    )
    assert followups(result) == ["assistance_apply_form"]
    assert said(result) == ["utter_assistance_apply_instead"]
    assert slots(result)["assistance_household_size"] is None and slots(result)["requested_slot"] is None


def test_the_application_started_from_the_precheck_keeps_the_kind_and_the_story_told():
    events = [
        {"event": "user", "text": OPENING},
        {"event": "action", "name": "action_assistance_triage"},
        {"event": "action", "name": "assistance_check_form"},
        {"event": "user", "text": "我自己申请"},
    ]
    result = run(
        "validate_assistance_check_form", "我自己申请", "inform", requested="assistance_household_size", events=events
    )
    assert followups(result) == ["assistance_apply_form"]
    assert slots(result)["assistance_type"] == "临时救助" and slots(result)["assistance_hardship"] == OPENING
    events.append({"event": "action", "name": "assistance_check_form"})
    form = run("validate_assistance_apply_form", "我自己申请", "inform", events=events)
    assert slots(form)["assistance_applicant"] == "本人"  # the message that left the pre-check said who


def test_the_kind_a_story_points_to_and_a_question_is_no_story():
    story = "我老头子去年走了我一个人住退休金一千九百块钱看病吃药一个月要花一千多"
    events = [
        {"event": "user", "text": "小姑娘我想问问我这个情况能不能申请个救助"},
        {"event": "action", "name": "action_assistance_triage"},
        {"event": "user", "text": story},
        {"event": "user", "text": "我自己"},
    ]
    result = run("validate_assistance_check_form", "我自己", "inform", requested="assistance_savings", events=events)
    assert slots(result)["assistance_type"] == "医疗救助" and slots(result)["assistance_hardship"] == story  # 看病
    assert said(result)[0] == "utter_assistance_type_inferred"
    asked = [*events[:2], {"event": "user", "text": "给我自己"}]  # only the question
    untold = run("validate_assistance_check_form", "给我自己", "inform", requested="assistance_savings", events=asked)
    assert slots(untold)["assistance_type"] is None and slots(untold)["assistance_hardship"] is None  # nothing told


def test_an_answer_is_never_taken_for_applying():
    result = run("validate_assistance_check_form", "两口人", "assistance_apply", requested="assistance_household_size")
    assert not followups(result) and slots(result)["assistance_household_size"] == 2


def test_a_question_whether_one_can_apply_starts_the_precheck_whatever_the_nlu_read():
    result = run("action_assistance_triage", "我家能不能申请低保", "assistance_apply")
    assert followups(result) == ["assistance_check_form"]
    assert run("action_assistance_triage", "我要申请低保", "assistance_apply")["events"][-1]["event"] != "followup"


def test_a_hardship_the_nlu_took_for_stopping_is_the_hardship():
    told = "她上个月生病做了手术，三个月上不了班，这个月房贷还不上"
    tracker = Tracker.from_dict(
        {
            "sender_id": "web:precheck",
            "slots": {"requested_slot": "assistance_hardship"},
            "latest_message": {"text": told, "intent": {"name": "stop"}, "entities": []},
            "events": [{"event": "user", "text": told}],
            "active_loop": {"name": "assistance_apply_form"},
        }
    )
    result = executor.run("validate_assistance_apply_form", tracker, {})
    assert slots(result)["assistance_hardship"] == told and "utter_assistance_stopped" not in said(result)


def test_who_an_application_is_for_is_the_relation_it_is_said_to_be_for():
    assert parsing.for_whom("我厂里倒闭了以后就一直没找到工作，老婆也生病，孩子还在上学，想申请低保") is None
    assert parsing.for_whom("不对，是给我老婆申请，我妈户口不在一起") == "配偶"
    assert parsing.for_whom("帮阿拉老太婆申请") == "配偶" and parsing.for_whom("我妈想申请低保") == "母亲"


def test_a_street_named_instead_of_the_district_gives_its_district(monkeypatch):
    monkeypatch.setattr(registry, "_tree", seeded_tree)
    assert registry.district_in("我不知道是哪个区，我住在曹杨新村") == "普陀区"
    assert registry.district_in("寶山區") == "宝山区"


def test_the_district_said_again_at_the_household_question_is_taken_and_said_with_the_question(monkeypatch):
    """Issue 22: back after 不问了, a resident answered "普陀区" to the household question, asked then a third time."""
    monkeypatch.setattr(registry, "_tree", seeded_tree)
    result = run("validate_assistance_check_form", "普陀区", "inform", requested="assistance_household_size")
    assert slots(result)["district"] == "普陀区"
    assert said(result) == ["utter_assistance_ask_household_size_in"] and result["responses"][0]["district"] == "普陀区"
