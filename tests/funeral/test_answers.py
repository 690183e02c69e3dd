"""How the funeral forms read residents' answers (actions/benefits/funeral.py, words.yaml)."""

from __future__ import annotations

from datetime import date

import pytest

from actions import executor
from actions.benefits import funeral
from actions.tracker import Tracker

TODAY = date(2026, 12, 6)


@pytest.mark.parametrize(
    ("text", "intent", "expected"),
    [
        ("低保", None, "低保"),
        ("我们家是低保户", None, "低保"),
        ("特困", None, "特困供养"),
        ("低收入家庭", None, "低收入"),
        ("都不是", None, "无"),
        ("不是低保", None, "无"),
        ("没有", "deny", "无"),
        ("随便说说", None, None),
    ],
)
def test_status(text, intent, expected):
    assert funeral.status(text, intent) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("海葬", "海葬"),
        ("骨灰撒到海里", "海葬"),
        ("准备树葬", "树葬"),
        ("买了公墓", "墓穴"),
        ("还没定", "未定"),
        ("嗯", None),
    ],
)
def test_burial(text, expected):
    assert funeral.burial(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("基本殡葬服务费减免", "funeral_waiver"),
        ("火化费减免", "funeral_waiver"),
        ("海葬补贴", "eco_burial"),
        ("生态安葬补贴", "eco_burial"),
    ],
)
def test_kind(text, expected):
    assert funeral.kind(text) == expected


@pytest.mark.parametrize(("text", "expected"), [("王秀英", "王秀英"), ("她叫王秀英", "王秀英"), ("1234", None)])
def test_name(text, expected):
    assert funeral.name(text) == expected


@pytest.mark.parametrize(
    ("text", "entity", "expected"),
    [
        ("12月1号", None, "2026-12-01"),
        ("2026-11-30", None, "2026-11-30"),
        ("前天", None, "2026-12-04"),
        ("12月20号", None, "2025-12-20"),  # said before it comes round: last year's
        ("上周三", "2026-12-02", "2026-12-02"),
        ("不记得了", None, None),
    ],
)
def test_death_date(text, entity, expected):
    assert funeral.death_date(text, entity, TODAY) == expected


def test_hukou_outside_the_city():
    assert funeral.hukou("外地户口") == funeral.NOT_OF_CITY


@pytest.mark.parametrize(
    ("text", "asks"),
    [
        ("我老伴走了 殡葬费用能减免吗", True),
        ("我妈昨天走了政府有什么补贴吗", True),
        ("家里老人过世了 火化费可以少交吗", True),
        ("帮我申请丧葬费减免", False),
        ("喂我爸走了那个殡葬费减免的申请你帮我办一下好吗", False),  # a request, with a 吗
        ("我要申请海葬补贴", False),
        ("给我老伴申请殡葬费减免吧", False),
        ("/funeral_subsidy_apply", False),  # the pre-check's 帮我申请 button
    ],
)
def test_a_question_is_told_from_a_request_to_apply(text, asks):
    assert funeral.asks_about_it(text) is asks


def test_a_question_read_as_applying_gets_the_pre_check_without_verification():
    """No back-office is asked: the pre-check needs no verification, and the check form says 请节哀 first."""
    tracker = Tracker.from_dict(
        {
            "sender_id": "o-funeral-asks",
            "latest_message": {"text": "我老伴走了 殡葬费用能减免吗", "intent": {"name": "funeral_subsidy_apply"}},
            "events": [{"event": "user", "text": "我老伴走了 殡葬费用能减免吗"}],
        }
    )
    result = executor.run("action_funeral_identity", tracker, {})
    assert result["responses"] == []
    assert [(e["event"], e["name"]) for e in result["events"]] == [("followup", "funeral_check_form")]
    tracker = Tracker.from_dict(
        {
            "sender_id": "o-funeral-asks",
            "latest_message": {"text": "我老伴走了 殡葬费用能减免吗", "intent": {"name": "funeral_subsidy_apply"}},
            "events": [
                {"event": "user", "text": "我老伴走了 殡葬费用能减免吗"},
                {"event": "action", "name": "action_funeral_identity"},
            ],
        }
    )
    started = executor.run("validate_funeral_check_form", tracker, {})
    assert [r["response"] for r in started["responses"]] == ["utter_funeral_condolence", "utter_funeral_ask_hukou"]


def test_a_death_told_is_recognised_for_the_condolence():
    assert funeral.tells_a_death("我妈昨天走了政府有什么补贴吗") and funeral.tells_a_death("老伴去世了")
    assert not funeral.tells_a_death("海葬有补贴吗")
    assert not funeral.tells_a_death(
        "我老伴走了好几年了，现在和一个阿姨处得很好，想去把证领了"
    )  # a new marriage, not grief


def test_a_request_to_work_it_out_read_as_a_handbook_question_gets_the_pre_check():
    """我爸刚走 帮我算算丧葬费能减多少 read as faq/funeral: the family's own figures, not the policy text."""
    said = "我爸刚走 帮我算算丧葬费能减多少"
    latest = {
        "text": said,
        "intent": {"name": "faq"},
        "response_selector": {
            "all_retrieval_intents": ["faq"],
            "faq": {"response": {"intent_response_key": "faq/funeral", "confidence": 0.99}, "ranking": []},
        },
    }
    tracker = Tracker.from_dict(
        {"sender_id": "o-funeral-works-out", "latest_message": latest, "events": [{"event": "user", "text": said}]}
    )
    result = executor.run("action_answer_handbook", tracker, {})
    assert result["responses"] == []
    assert [(e["event"], e["name"]) for e in result["events"]] == [("followup", "funeral_check_form")]
    tracker = Tracker.from_dict(
        {
            "sender_id": "o-funeral-works-out",
            "latest_message": latest,
            "events": [{"event": "user", "text": said}, {"event": "action", "name": "action_answer_handbook"}],
        }
    )
    started = executor.run("validate_funeral_check_form", tracker, {})
    assert [r["response"] for r in started["responses"]] == ["utter_funeral_condolence", "utter_funeral_ask_hukou"]


@pytest.mark.parametrize(
    ("text", "works_out"),
    [("我爸刚走 帮我算算丧葬费能减多少", True), ("帮我测一下殡葬补贴", True), ("帮我看看生态安葬有哪些方式", False)],
)
def test_a_request_to_work_it_out(text, works_out):
    assert funeral.asks_to_work_out(text) is works_out
