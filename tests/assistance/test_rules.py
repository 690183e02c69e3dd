"""The pre-check rules against the published standards (backoffice/seed/assistance_standards.yaml)."""

from __future__ import annotations

from datetime import date

import pytest

from backoffice.assistance import standards
from backoffice.assistance.rules import LIKELY_ELIGIBLE, LIKELY_NOT, NEEDS_ASSESSMENT, Household, evaluate
from backoffice.datafile import DataFile

PUTUO = "310107"


@pytest.fixture
def std() -> standards.Standard:
    found = standards.standard_for(PUTUO, date(2026, 11, 23))
    assert found is not None
    return found


def test_the_seeded_standard_is_shanghais_published_dibao_figure(std):
    assert std.dibao == 1510 and std.effective_from == date(2024, 7, 1)
    assert standards.standard_for(PUTUO, date(2024, 6, 30)) is None  # nothing before the first version
    assert standards.standard_for("999999") is None


def test_a_later_version_takes_over_on_its_effective_date(tmp_path, monkeypatch):
    text = standards.STANDARDS_FILE.read_text(encoding="utf-8").replace(
        "standards:\n",
        'standards:\n  - district: "310107"\n    effective_from: 2025-07-01\n'
        "    <<: *shanghai_2024_07\n    dibao_per_person_month: 1600\n",
        1,
    )
    path = tmp_path / "standards.yaml"
    path.write_text(text, encoding="utf-8")
    monkeypatch.setattr(standards, "_cache", DataFile(path))
    assert standards.standard_for(PUTUO, date(2025, 6, 30)).dibao == 1510
    assert standards.standard_for(PUTUO, date(2025, 7, 1)).dibao == 1600
    assert standards.standard_for("310113", date(2025, 7, 1)).dibao == 1510


def test_low_income_assets_within_limits_is_likely_eligible_and_says_why(std):
    verdict = evaluate(std, Household(size=3, monthly_income=3000, savings=20000, vehicles=0))
    assert verdict.outcome == LIKELY_ELIGIBLE and verdict.programs == ["低保"]
    first = verdict.reasons[0]
    assert "1510" in first.figure and "人均约1000元" in first.text and "低保标准" in first.rule


def test_income_above_twice_the_standard_is_likely_not(std):
    verdict = evaluate(std, Household(size=2, monthly_income=8000, savings=0, vehicles=0))
    assert verdict.outcome == LIKELY_NOT
    assert "3020" in verdict.reasons[0].figure and "4000元" in verdict.reasons[0].text


def test_savings_over_the_limit_is_likely_not_even_with_low_income(std):
    verdict = evaluate(std, Household(size=1, monthly_income=800, savings=200000, vehicles=0))
    assert verdict.outcome == LIKELY_NOT
    assert any("48000" in r.figure and "超过" in r.text for r in verdict.reasons)


def test_a_car_rules_out_dibao_unless_a_disability_needs_a_look(std):
    assert evaluate(std, Household(size=2, monthly_income=1000, savings=0, vehicles=1)).outcome == LIKELY_NOT
    verdict = evaluate(
        std, Household(size=2, monthly_income=1000, savings=0, vehicles=1, circumstances=frozenset({"disability"}))
    )
    assert verdict.outcome == NEEDS_ASSESSMENT and any("代步车" in r.text for r in verdict.reasons)


def test_between_the_standard_and_the_low_income_line_needs_assessment(std):
    verdict = evaluate(std, Household(size=2, monthly_income=4000, savings=10000, vehicles=0))
    assert verdict.outcome == NEEDS_ASSESSMENT and "医疗救助" in verdict.programs


def test_serious_illness_expenses_point_to_spending_poverty(std):
    verdict = evaluate(
        std,
        Household(
            size=2,
            monthly_income=5000,
            savings=10000,
            vehicles=0,
            circumstances=frozenset({"serious_illness"}),
            medical_expenses_month=3000,
        ),
    )
    assert verdict.outcome == NEEDS_ASSESSMENT and "支出型贫困" in verdict.programs
    assert any("扣除后人均约1000元" in r.text for r in verdict.reasons)


def test_an_elderly_person_living_alone_may_also_be_tekun(std):
    verdict = evaluate(
        std,
        Household(
            size=1, monthly_income=0, savings=0, vehicles=0, circumstances=frozenset({"elderly", "living_alone"})
        ),
    )
    assert verdict.outcome == LIKELY_ELIGIBLE and verdict.programs == ["低保", "特困供养"]


def test_the_answer_never_promises_approval(std):
    verdict = evaluate(std, Household(size=1, monthly_income=0, savings=0, vehicles=0)).as_json(std)
    assert "民政部门" in verdict["caveat"] and "决定" in verdict["caveat"]
    assert all("一定" not in r["text"] and "保证" not in r["text"] for r in verdict["reasons"])
