"""The conversation suite's own parts without a stack: the data files, the judge, the subset."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest

from tools.conversations.judge import Facts, Verdict, asked_slots, fallback_replies, judge
from tools.conversations.report import figures, outcomes
from tools.conversations.run import Result
from tools.conversations.spec import SpecError, load, parse
from tools.conversations.subset import choose, current
from tools.conversations.talk import Turn

BASE = {"id": "a-b", "flow": "marriage", "style": ["plain"], "turns": ["你好"], "expect": "none"}


def test_every_data_file_follows_the_format_and_ids_are_unique():
    conversations = load()
    assert len({c.id for c in conversations}) == len(conversations) > 0
    assert {c.flow for c in conversations} >= {"marriage", "assistance", "eldercare", "handbook", "handoff"}


@pytest.mark.parametrize(
    "change, why",
    [
        ({"flow": "taxes"}, "flow"),
        ({"style": ["shouting"]}, "style"),
        ({"expect": "answered"}, "answer_contains"),
        ({"partner": True}, "verified"),
        ({"id": "Not_Kebab"}, "kebab"),
        ({"colour": "red"}, "unknown keys"),
        ({"age": [70, 60]}, "age"),
        ({"until": "soon"}, "until"),
        ({"turns": [["图片"]]}, "quote"),  # [图片] unquoted is a YAML list
        ({"turns": ["[图片]"], "channel": "web"}, "WeChat image"),
        ({"documents": "some"}, "documents"),
    ],
)
def test_a_conversation_that_breaks_the_format_is_refused_with_the_reason(change, why):
    with pytest.raises(SpecError, match=why):
        parse({**BASE, **change}, "x.yml")


def test_the_subset_is_a_stable_quarter_without_known_defects():
    conversations = load()
    subset = choose(conversations, "subset")
    assert subset == choose(list(conversations), "subset") and not any(c.known_defect for c in subset)
    assert 0.1 < len(subset) / len(conversations) < 0.4
    assert {c.source for c in subset} == {c.source for c in conversations if not c.known_defect}


def test_a_form_slot_counts_once_per_turn_that_asks_it_the_same_way():
    def turn(slot: str | None, asked: str = "哪一天？") -> list[dict]:
        return [
            {"event": "user", "text": "x"},
            {"event": "active_loop", "name": "f" if slot else None},
            {"event": "slot", "name": "requested_slot", "value": slot},
            {"event": "bot", "text": "不好意思"},
            {"event": "bot", "text": asked},
        ]

    events = turn("day") + turn("day") + turn("name") + turn("day") + turn(None) + turn("day", "回“最早”就行")
    assert asked_slots(events) == Counter({"f.day: 哪一天？": 3, "f.name: 哪一天？": 1, "f.day: 回“最早”就行": 1})


def test_the_outcome_is_read_from_the_system_and_a_question_asked_three_times_fails():
    conv = parse({**BASE, "expect": "booked"}, "x.yml")
    turns = [Turn("t", ["哪一天？"]) for _ in range(2)]
    assert judge(conv, Facts(), Facts(booked=1), turns, Counter()).ok
    assert not judge(conv, Facts(), Facts(booked=1, handed_off=1), turns, Counter()).ok
    assert not judge(conv, Facts(booked=1), Facts(booked=1), turns, Counter()).ok
    thrice = judge(conv, Facts(), Facts(booked=1), [*turns, Turn("t", ["哪一天？"])], Counter())
    assert not thrice.ok and thrice.triple_asked
    assert not judge(conv, Facts(), Facts(booked=1), turns, Counter({"f.day: 哪天": 3})).ok
    answered = parse({**BASE, "expect": "answered", "answer_contains": ["1510"]}, "x.yml")
    assert judge(answered, Facts(), Facts(), [Turn("t", ["标准是 1510 元"])], Counter()).ok
    assert not judge(answered, Facts(), Facts(), [Turn("t", ["标准是 1500 元"])], Counter()).ok


def test_documents_complete_needs_a_photo_attached_and_nothing_missing():
    conv = parse({**BASE, "expect": "applied", "turns": ["帮我申请", "[图片]"], "documents": "complete"}, "x.yml")
    turns = [Turn("t", ["好的"])]
    assert judge(conv, Facts(), Facts(applied=2, documents_attached=9), turns, Counter()).ok
    missing = judge(conv, Facts(), Facts(applied=2, documents_attached=8, documents_missing=1), turns, Counter())
    assert missing.reasons == ["1 required documents still not attached"]
    assert not judge(conv, Facts(documents_attached=3), Facts(applied=1, documents_attached=3), turns, Counter()).ok


def test_didnt_understand_replies_are_the_fallback_actions_that_ran():
    events = [
        {"event": "user", "text": "阿斯顿"},
        {"event": "action", "name": "utter_default"},
        {"event": "user", "text": "你好"},
        {"event": "action", "name": "utter_greet"},
        {"event": "action", "name": "action_default_fallback"},
    ]
    assert fallback_replies(events) == 2


def test_a_conversation_past_its_until_day_is_not_run():
    dated = parse({**BASE, "until": date(2027, 1, 3)}, "x.yml")
    assert current([dated], date(2027, 1, 3)) == [dated] and current([dated], date(2027, 1, 4)) == []


def test_the_figures_and_each_outcome_come_from_the_results():
    won = Result(parse(BASE, "x.yml"), Verdict(True), [Turn("你好", ["您好"], fallback=True)], misunderstood=1)
    lost = Result(parse({**BASE, "id": "c-d"}, "x.yml"), Verdict(False, ["expected booked"], ["3× 哪天？"]))
    f = figures([won, lost])
    assert (f.total, f.succeeded, f.turns_per_success, f.fallbacks, f.misunderstood, f.triple_asked) == (
        2,
        1,
        1,
        1,
        1,
        1,
    )
    assert not f.goals_met
    assert [(o["id"], o["ok"], o["why"]) for o in outcomes([won, lost])] == [
        ("a-b", True, []),
        ("c-d", False, ["expected booked"]),
    ]
