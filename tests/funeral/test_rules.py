"""The funeral pre-check's rules on the seed's figures (backoffice/seed/benefits.yaml)."""

from __future__ import annotations

import pytest

from backoffice.benefits import funeral, programmes
from backoffice.benefits.funeral import Facts

PUTUO, BAOSHAN = "310107", "310113"


def services_total() -> int:
    return sum(programmes.section("funeral_waiver")["services"].values())


@pytest.mark.parametrize("status", ["低保", "特困供养"])
def test_a_dibao_or_tekun_household_has_every_basic_service_waived(status):
    answer = funeral.waiver(Facts(PUTUO, status, "海葬"), "普陀区")
    assert answer["eligible"] is True
    assert answer["amount"] == services_total() == 1330
    assert len(answer["services"]) == 4
    assert status in answer["reasons"][0]["text"] and "1330元" in answer["reasons"][0]["text"]


def test_a_low_income_household_has_transport_and_cremation_waived():
    answer = funeral.waiver(Facts(BAOSHAN, "低收入", "未定"), "宝山区")
    assert answer["eligible"] is True
    assert answer["amount"] == 300 + 580
    assert answer["services"] == ["遗体接运（市内）", "遗体火化（普通火化炉）"]


def test_an_ordinary_household_gets_no_waiver_and_is_told_why():
    answer = funeral.waiver(Facts(PUTUO, "无", "海葬"), "普陀区")
    assert answer["eligible"] is False and answer["amount"] == 0
    assert "不减免" in answer["reasons"][0]["text"]


def test_a_deceased_from_outside_the_city_gets_neither():
    result = funeral.evaluate(Facts(funeral.NOT_OF_CITY, "低保", "海葬"), "")
    assert result["funeral_waiver"]["eligible"] is False
    assert result["eco_burial"]["eligible"] is False
    assert "不是上海户口" in result["funeral_waiver"]["reasons"][0]["text"]


@pytest.mark.parametrize(
    ("district", "burial", "amount"),
    [(PUTUO, "海葬", 2000), (PUTUO, "树葬", 1000), (BAOSHAN, "海葬", 1500), (BAOSHAN, "草坪葬", 800)],
)
def test_the_eco_burial_subsidy_is_the_districts_amount_for_the_way_of_burial(district, burial, amount):
    answer = funeral.eco_burial(Facts(district, "无", burial), "某区")
    assert answer == {"eligible": True, "amount": amount, "reasons": answer["reasons"]}
    assert f"{amount}元" in answer["reasons"][0]["text"]


def test_a_grave_is_not_eco_burial_and_the_answer_names_the_ways_that_are():
    answer = funeral.eco_burial(Facts(PUTUO, "无", funeral.GRAVE), "普陀区")
    assert answer["eligible"] is False
    assert "不算生态安葬" in answer["reasons"][0]["text"] and "海葬2000元" in answer["reasons"][0]["text"]


def test_an_undecided_burial_gets_the_table_not_a_verdict():
    answer = funeral.eco_burial(Facts(BAOSHAN, "无", funeral.UNDECIDED), "宝山区")
    assert answer["eligible"] is None
    assert "海葬1500元" in answer["reasons"][0]["text"]


def test_the_waiver_asks_for_the_status_certificate_only_when_it_rests_on_one():
    assert "assistance_certificate" in funeral.documents("funeral_waiver", Facts(PUTUO, "低保", "未定"))
    assert "assistance_certificate" not in funeral.documents("funeral_waiver", Facts(PUTUO, "无", "未定"))
    assert {"death_certificate", "cremation_certificate", "eco_burial_certificate"} <= set(
        funeral.documents("eco_burial", Facts(PUTUO, "无", "海葬"))
    )
