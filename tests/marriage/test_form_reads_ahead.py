"""The booking form reads what a message says before it is asked (issue 22's conversation suite): the form's
validation action against the real back-office app in-process (no Rasa)."""

from __future__ import annotations

from typing import Any

import pytest

import actions.marriage  # noqa: F401  (registers the actions)
from actions import executor, services
from actions.tracker import Tracker
from tests.marriage.conftest import AUTH, Backoffice
from tests.marriage.people import couple, person
from tests.marriage.test_backoffice_calls import CountingBackoffice
from tests.marriage.test_booking_rules import body


@pytest.fixture
def validate(backoffice: Backoffice, monkeypatch):
    client = CountingBackoffice(backoffice.client)
    monkeypatch.setattr(services, "client", lambda: client)

    def _run(
        sender: str, text: str, slots: dict[str, Any], intent: str = "marriage_book", entities: list | None = None
    ) -> tuple[dict, list]:
        tracker = Tracker.from_dict(
            {
                "sender_id": sender,
                "slots": slots,
                "latest_message": {"text": text, "intent": {"name": intent}, "entities": entities or []},
                "events": [{"event": "user", "text": text}],
                "active_loop": {"name": "marriage_booking_form"},
            }
        )
        result = executor.run("validate_marriage_booking_form", tracker, {})
        return {e["name"]: e["value"] for e in result["events"] if e["event"] == "slot"}, result["responses"]

    return _run


@pytest.mark.parametrize(
    "said",
    [
        "你好我想问一下离婚要预约的话怎么弄我们是第一次去",
        "我们要离婚，还没申请过",
        "想约个时间去提交离婚申请",
        "阿拉两家头要离婚，先要去递申请是伐",
        "我想預約離婚登記，第一次去提交申請",
    ],
)
def test_the_first_divorce_visit_said_with_the_errand_is_not_asked_again(backoffice, validate, said):
    backoffice.verify("web:first-visit", person("男", 40, "赵志强"))
    slots, said_back = validate("web:first-visit", said, {"marriage_type": "离婚"})
    assert slots["marriage_divorce_stage"] == "申请"
    assert [r["response"] for r in said_back] == ["utter_marriage_ask_self"]  # the next question: the resident


def test_a_divorce_without_its_stage_is_asked_it(backoffice, validate):
    backoffice.verify("web:no-stage", person("女", 40, "钱美华"))
    slots, said_back = validate("web:no-stage", "我想预约离婚登记", {"marriage_type": "离婚"})
    assert slots["requested_slot"] == "marriage_divorce_stage"
    assert [r["response"] for r in said_back] == ["utter_marriage_ask_divorce_stage"]


@pytest.mark.parametrize("said", ["对是我", "是我本人", "对的对的是我", "队", "是的是的", "对额", "對"])
def test_a_yes_that_says_it_is_the_resident_confirms_their_identity(backoffice, validate, said):
    """ "是我本人" was read as the name 我本人, which is not the resident's: the question came again and again."""
    someone = person("女", 30, "孙丽华")
    backoffice.verify("web:self-yes", someone)
    asked = {"marriage_type": "结婚", "requested_slot": "marriage_party1_name"}
    slots, said_back = validate("web:self-yes", said, asked, intent="nlu_fallback")
    assert slots["marriage_party1_name"] == "孙丽华" and slots["marriage_party1_id"] == someone.id_number
    assert [r["response"] for r in said_back] == ["utter_marriage_ask_office"]


def test_a_yes_followed_by_the_next_answer_confirms_and_keeps_the_answer(backoffice, validate):
    someone = person("男", 31, "周建华")
    backoffice.verify("web:yes-and-office", someone)
    asked = {"marriage_type": "结婚", "requested_slot": "marriage_party1_name"}
    office = [{"entity": "office", "value": "普陀区婚姻登记中心"}]  # as the NLU's gazetteer finds it
    slots, said_back = validate("web:yes-and-office", "对，就去普陀区婚姻登记中心", asked, "marriage_book", office)
    assert slots["marriage_party1_name"] == "周建华" and slots["marriage_office"] == "PT-MR-01"
    assert [r["response"] for r in said_back] == ["utter_marriage_ask_date"]


@pytest.mark.parametrize(("said", "half"), [("上午", "上午"), ("下午吧", "下午"), ("最早的时间", None)])
def test_a_half_day_or_the_earliest_answers_the_time_slot_question(backoffice, validate, said, half):
    """Issue 22: "上午" at "还能约的时段有下面这些" was no answer: the question came again, then a person."""
    someone = person("男", 33, "吴国平")
    backoffice.verify("web:slot-half", someone)
    day = backoffice.open_days()[2]
    asked = {
        "marriage_type": "结婚",
        "marriage_party1_name": someone.name,
        "marriage_party1_id": someone.id_number,
        "marriage_office": "PT-MR-01",
        "marriage_date": day["date"],
        "requested_slot": "marriage_slot",
    }
    slots, said_back = validate("web:slot-half", said, asked, intent="greet")
    free = [
        s["start"]
        for s in day["slots"]
        if s["free"] > 0 and (half is None or (s["start"] < "12:00") == (half == "上午"))
    ]
    assert slots["marriage_slot"] == free[0]
    assert [r["response"] for r in said_back][:2] == ["utter_marriage_slot_auto", "utter_marriage_ask_party2_name"]


@pytest.mark.parametrize(
    ("form", "said", "confirmed"),
    [
        ("marriage_reschedule_form", "确定修改", True),  # was asked "确定吗？" again and again
        ("marriage_reschedule_form", "不改了", False),
        ("marriage_cancel_form", "确定取消", True),
        ("marriage_cancel_form", "是的取消", True),
    ],
)
def test_the_errands_verb_at_are_you_sure_confirms_it(backoffice, monkeypatch, form, said, confirmed):
    pair = couple()
    sender = f"web:sure-{form}-{said}"
    days = backoffice.open_days()
    assert backoffice.book(body(pair, days[4]["date"], sender), key=sender).status_code == 201
    number = backoffice.client.get("/marriage/appointments", query_string={"openid": sender}, headers=AUTH).json
    client = CountingBackoffice(backoffice.client)
    monkeypatch.setattr(services, "client", lambda: client)
    slots = {
        "marriage_appointment": number["appointments"][0]["number"],
        "marriage_date": days[5]["date"],
        "marriage_slot": days[5]["slots"][0]["start"],
        "requested_slot": "marriage_confirmed",
    }
    tracker = Tracker.from_dict(
        {
            "sender_id": sender,
            "slots": slots,
            "latest_message": {"text": said, "intent": {"name": "nlu_fallback"}, "entities": []},
            "events": [{"event": "user", "text": said}],
            "active_loop": {"name": form},
        }
    )
    result = executor.run(f"validate_{form}", tracker, {})
    read = {e["name"]: e["value"] for e in result["events"] if e["event"] == "slot"}
    assert read["marriage_confirmed"] is confirmed and read["requested_slot"] is None


def test_getting_the_certificate_in_words_is_a_marriage(backoffice, validate):
    """Issue 22: "我们想去把证领了，要怎么约" was asked which kind, and the answers that followed never said it."""
    backoffice.verify("web:remarry", person("男", 68, "沈国华"))
    said = "小同志你好，我老伴走了好几年了，现在和一个阿姨处得很好，我们想去把证领了，要怎么约"
    slots, said_back = validate("web:remarry", said, {})
    assert slots["marriage_type"] == "结婚" and [r["response"] for r in said_back] == ["utter_marriage_ask_self"]
    slots, _said = validate("web:remarry", "冷静期满了来领证", {})  # a divorce's second visit is not a marriage
    assert "marriage_type" not in slots
