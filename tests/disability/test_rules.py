"""The 两项补贴 pre-check's rules on the seed's figures (backoffice/seed/benefits.yaml)."""

from __future__ import annotations

import pytest

from backoffice.benefits import disability
from backoffice.benefits.disability import Member


def test_a_dibao_household_member_with_grade_two_gets_both():
    result = disability.evaluate(Member(2, "肢体", "低保", False))
    assert result["disability_living"]["eligible"] and result["disability_living"]["monthly"] == 380
    assert result["disability_care"]["eligible"] and result["disability_care"]["monthly"] == 200
    assert "肢体二级" in result["disability_care"]["reasons"][0]["text"]


def test_a_low_income_household_gets_the_lower_living_subsidy():
    assert disability.living(Member(3, "视力", "低收入", False))["monthly"] == 95


def test_without_dibao_or_low_income_there_is_no_living_subsidy_and_the_answer_says_what_to_do():
    answer = disability.living(Member(1, "肢体", disability.NONE, False))
    assert answer["eligible"] is False
    assert "先申请低保" in answer["reasons"][0]["text"]


def test_tekun_is_excluded_from_the_living_subsidy():
    answer = disability.living(Member(1, "肢体", "特困供养", False))
    assert answer["eligible"] is False and "特困供养" in answer["reasons"][0]["text"]


@pytest.mark.parametrize(
    ("grade", "category", "eligible"),
    [
        (1, "听力", True),
        (2, "视力", True),
        (3, "智力", True),
        (4, "精神", True),
        (3, "肢体", False),
        (4, "视力", False),
    ],
)
def test_the_care_subsidy_is_for_grades_one_and_two_and_lower_grades_of_intellectual_or_mental(
    grade, category, eligible
):
    assert disability.care(Member(grade, category, disability.NONE, False))["eligible"] is eligible


def test_no_certificate_means_neither_and_says_how_to_get_one():
    result = disability.evaluate(Member(0, "", "低保", False))
    assert not result["disability_living"]["eligible"] and not result["disability_care"]["eligible"]
    assert "残疾人证" in result["disability_care"]["reasons"][0]["text"]


def test_the_household_status_is_the_strongest_benefit_of_any_member():
    assert disability.household_status({"高龄津贴", "低保"}) == "低保"
    assert disability.household_status({"特困供养", "低保"}) == "特困供养"
    assert disability.household_status({"高龄津贴"}) == disability.NONE
