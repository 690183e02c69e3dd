"""The forms' validation actions, in-process: answers and interruptions."""

from __future__ import annotations

import actions.assistance  # noqa: F401  (registers the actions)
from actions import executor
from actions.tracker import Tracker


def validate(form: str, requested: str, text: str, intent: str | None = None) -> dict:
    tracker = Tracker.from_dict(
        {
            "sender_id": "web:t",
            "slots": {"requested_slot": requested},
            "latest_message": {"text": text, "intent": {"name": intent}, "entities": []},
            "events": [],
            "active_loop": {"name": form},
        }
    )
    return executor.run(f"validate_{form}", tracker, {})


def slots(result: dict) -> dict:
    return {e["name"]: e["value"] for e in result["events"] if e["event"] == "slot"}


def test_a_clear_answer_is_an_answer_whatever_the_nlu_thought():
    result = validate("assistance_check_form", "assistance_household_size", "两口人", "human_handoff")
    assert slots(result) == {"assistance_household_size": 2, "requested_slot": "district"}
    assert [r["response"] for r in result["responses"]] == ["utter_assistance_ask_district"]  # the next question


def test_asking_for_a_person_instead_of_answering_ends_the_form():
    result = validate("assistance_check_form", "assistance_savings", "我要找人工", "human_handoff")
    assert result["responses"][0]["custom"]["handoff"] == {"reason": "resident_request", "priority": "normal"}
    assert {"event": "active_loop", "name": None} in [
        {k: e.get(k) for k in ("event", "name")} for e in result["events"]
    ]


def test_stop_ends_a_free_text_question_too():
    result = validate("assistance_apply_form", "assistance_hardship", "不办了不办了", "stop")
    assert result["responses"][0]["response"] == "utter_assistance_stopped"
    assert slots(result)["assistance_hardship"] is None and slots(result)["requested_slot"] is None


def test_an_unreadable_answer_is_asked_again():
    result = validate("assistance_apply_form", "assistance_id_number", "310107195001011230")
    assert slots(result)["assistance_id_number"] is None
    assert result["responses"][0]["response"] == "utter_assistance_bad_id_number"


def test_saying_the_request_again_is_told_it_is_under_way_not_misunderstood():
    restated = validate("assistance_apply_form", "assistance_applicant", "低保怎么申请", "assistance_apply")
    assert [r["response"] for r in restated["responses"]] == ["utter_assistance_under_way", "utter_assistance_ask_type"]
    assert slots(restated)["assistance_applicant"] is None  # so the form asks again
    unclear = validate("assistance_apply_form", "assistance_applicant", "嗯那个", "nlu_fallback")
    assert [r["response"] for r in unclear["responses"]][0] == "utter_assistance_not_understood_applicant"


def test_not_knowing_the_kind_applies_for_dibao_for_now_with_the_story_as_the_hardship():
    """Issue 22: "我也不知道该申请哪种" with a story the words do not place was "not understood" for ever."""
    told = "我也不知道该申请哪种，我一个人带孩子，前夫不给抚养费，我又没工作"
    result = validate("assistance_apply_form", "assistance_type", told, "policy_my_benefits")
    assert slots(result)["assistance_type"] == "低保" and slots(result)["assistance_hardship"] == told
    assert result["responses"][0]["response"] == "utter_assistance_type_inferred"
    assert result["responses"][0]["kind"] == "低保"
    typos = validate("assistance_apply_form", "assistance_type", "没有工做没有收人", "deny")
    assert slots(typos)["assistance_type"] == "低保"
    family = validate("assistance_apply_form", "assistance_type", "替我老伴申请", "assistance_apply")
    assert slots(family)["assistance_type"] is None  # who it is for answers another question: still asked


def test_figures_given_before_they_are_asked_are_kept_and_not_asked():
    """Issue 22: "两口人，一个月一千五，存款一万" at the household question kept only the size, and the income question
    then read the savings' larger number."""
    result = validate("assistance_check_form", "assistance_household_size", "两口人，一个月一千五，存款一万", "inform")
    assert slots(result) == {
        "assistance_household_size": 2,
        "assistance_monthly_income": 1500,
        "assistance_savings": 10000,
        "requested_slot": "district",  # the first question still open (no district in this test's slots)
    }
    income = validate("assistance_check_form", "assistance_monthly_income", "一千五，存款一万", "inform")
    assert slots(income)["assistance_monthly_income"] == 1500 and slots(income)["assistance_savings"] == 10000


def start(text: str, kind: str) -> dict:
    """The application form's first run, after the triage and the identity check, on the message that started it
    (the back-office could not say who the sender is: the form asks for the details as typed)."""
    tracker = Tracker.from_dict(
        {
            "sender_id": "web:t",
            "slots": {"assistance_type": kind, "assistance_identity": "unknown"},
            "latest_message": {"text": text, "intent": {"name": "assistance_apply"}, "entities": []},
            "events": [
                {"event": "user", "text": text},
                {"event": "action", "name": "action_assistance_triage"},
                {"event": "action", "name": "action_assistance_identity"},
            ],
            "active_loop": {"name": "assistance_apply_form"},
        }
    )
    return executor.run("validate_assistance_apply_form", tracker, {})


def test_the_family_member_named_in_the_first_message_is_not_asked_again():
    """Issue 22: "我想帮我老婆申请医疗救助" was asked "给您本人办，还是替家里人办？", and the story told next was taken
    for the answer (its 自己 made it the resident's own application)."""
    result = start("我想帮我老婆申请医疗救助", "医疗救助")
    assert slots(result)["assistance_applicant"] == "家人" and slots(result)["assistance_relation"] == "配偶"
    assert slots(result)["requested_slot"] == "assistance_id_number"
    own = start("我想申请低保，我自己一个人过日子没收入", "低保")  # a story's 自己 says nothing of who applies
    assert "assistance_applicant" not in slots(own) and slots(own)["requested_slot"] == "assistance_applicant"


def at_read_back(text: str, intent: str) -> dict:
    """An answer to the read-back of a complete application."""
    filled = {
        "assistance_type": "低保",
        "assistance_applicant": "本人",
        "assistance_relation": "本人",
        "assistance_member": "",
        "assistance_id_number": "310107195001011234",
        "assistance_phone": "13912345678",
        "assistance_community": "西康居委会",
        "assistance_hardship": "老房子墙面渗水要大修，修房子的钱不够",
        "assistance_consent": True,
        "requested_slot": "assistance_confirmed",
    }
    tracker = Tracker.from_dict(
        {
            "sender_id": "web:t",
            "slots": filled,
            "latest_message": {"text": text, "intent": {"name": intent}, "entities": []},
            "events": [{"event": "user", "text": text}],
            "active_loop": {"name": "assistance_apply_form"},
        }
    )
    return executor.run("validate_assistance_apply_form", tracker, {})


def test_wrong_at_the_read_back_asks_what_to_change_and_a_new_kind_is_read_back_again():
    """Issue 22: "不对" at the read-back ended the application, and "改成临时救助" then went nowhere."""
    wrong = at_read_back("不对", "deny")
    assert [r["response"] for r in wrong["responses"]] == ["utter_assistance_what_to_change"]
    assert slots(wrong)["assistance_confirmed"] is None and slots(wrong)["requested_slot"] == "assistance_confirmed"
    assert slots(at_read_back("先不提交了", "deny"))["assistance_confirmed"] is False  # not submitted, as before
    changed = at_read_back("改成临时救助", "marriage_reschedule")
    assert slots(changed)["assistance_type"] == "临时救助" and slots(changed)["assistance_confirmed"] is None
    assert [r["response"] for r in changed["responses"]] == ["utter_assistance_read_back"]
