"""How the funeral forms read residents' answers (actions/benefits/funeral.py, words.yaml)."""

from __future__ import annotations

from datetime import date

import pytest

from actions.benefits import funeral

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
