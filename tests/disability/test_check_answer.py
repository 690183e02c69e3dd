"""The 两项补贴 pre-check as an 80-year-old reads it (actions/benefits/disability.py): whether they likely
qualify, each amount once, and the next step, against the real back-office in-process (no Rasa)."""

from __future__ import annotations

import re

from sqlalchemy.orm import Session

import actions.benefits  # noqa: F401  (registers the actions)
from actions import executor
from actions.tracker import Tracker
from backoffice.residents.models import Household
from tests.benefits_api import ME, me


def give_record(engine, grade: int, category: str, status: str | None) -> None:
    """The registry says: the resident holds a certificate, nobody else in the household does."""
    resident = me(engine)
    with Session(engine) as sess:
        for member in sess.get(Household, resident.household_id).members:
            member.disability_grade, member.disability_category = 0, ""
            member.benefits = [b for b in member.benefits if b not in ("低保", "低收入", "特困供养", "残疾人两项补贴")]
            if member.id == resident.id:
                member.disability_grade, member.disability_category = grade, category
                member.benefits = [*member.benefits, status] if status else member.benefits
        sess.commit()


def check() -> dict:
    tracker = Tracker.from_dict(
        {
            "sender_id": ME,
            "slots": {},
            "latest_message": {"text": "我能领残疾人两项补贴吗", "intent": {"name": "disability_subsidy_eligibility"}},
            "events": [{"event": "user", "text": "我能领残疾人两项补贴吗"}],
        }
    )
    (answer,) = executor.run("action_disability_check", tracker, {})["responses"]
    return answer


def test_both_subsidies_are_told_once_each_with_the_next_step(actions_backoffice):
    _client, engine = actions_backoffice
    give_record(engine, 2, "肢体", "低保")
    answer = check()
    text = answer["text"]
    assert "您本人（肢体二级残疾，家里是低保）" in text and "可以领" in text
    amounts = re.findall(r"每月(\d+)元", text)
    assert sorted(amounts) == ["200", "380"], text  # each amount once
    assert text.count("380") == 1 and text.count("200") == 1, text
    assert text.rstrip().endswith("现在就帮您提交吗？")
    assert [b["title"] for b in answer["buttons"]] == ["对，提交", "先不用"]
    assert len(text) <= 160, f"{len(text)} characters: {text}"


def test_a_subsidy_out_of_reach_says_why_without_an_amount(actions_backoffice):
    _client, engine = actions_backoffice
    give_record(engine, 3, "肢体", "低保")
    text = check()["text"]
    assert "不属于重度残疾" in text and len(re.findall(r"每月(\d+)元", text)) == 1, text
    assert text.rstrip().endswith("现在就帮您提交吗？")
