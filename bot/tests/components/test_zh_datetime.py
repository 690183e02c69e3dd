"""Chinese dates, times, household sizes and amounts, at a fixed reference time."""

from datetime import datetime

import pytest
from components.zh_datetime import extract
from components.zh_text import SHANGHAI, reference_time

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI)  # a Monday


def values(text, entity, now=NOW):
    return [e["value"] for e in extract(text, now) if e["entity"] == entity]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("今天能办吗", "2026-11-23"),
        ("明天去领证", "2026-11-24"),
        ("后天上午", "2026-11-25"),
        ("大后天", "2026-11-26"),
        ("下周三", "2026-12-02"),
        ("下礼拜一", "2026-11-30"),
        ("预约一下下周一", "2026-11-30"),
        ("下下周一", "2026-12-07"),
        ("下星期天", "2026-12-06"),
        ("这周五", "2026-11-27"),
        ("本周六", "2026-11-28"),
        ("周五", "2026-11-27"),
        ("周一", "2026-11-23"),
        ("12月2号", "2026-12-02"),
        ("十二月二十三日", "2026-12-23"),
        ("1月6号", "2027-01-06"),  # already past this year -> next year
        ("12.2", "2026-12-02"),
        ("二〇二六年十二月二日", "2026-12-02"),
        ("2026年12月2日", "2026-12-02"),
        ("2026-12-02", "2026-12-02"),
        ("下个月3号", "2026-12-03"),
        ("520", "2027-05-20"),
        ("七夕", "2027-08-08"),  # lunar 7/7 of 2027
        ("元旦", "2027-01-01"),
        ("春节", "2027-02-06"),
        ("五一劳动节", "2027-05-01"),
        ("十一想去领证", "2027-10-01"),
        ("25号", "2026-11-25"),
    ],
)
def test_dates(text, expected):
    assert values(text, "date") == [expected]


def test_year_rolls_over_for_passed_dates():
    assert values("520", "date", datetime(2026, 5, 20, 9, tzinfo=SHANGHAI)) == ["2026-05-20"]
    assert values("520", "date", datetime(2026, 5, 21, 9, tzinfo=SHANGHAI)) == ["2027-05-20"]
    assert values("七夕", "date", datetime(2026, 8, 1, 9, tzinfo=SHANGHAI)) == ["2026-08-19"]


@pytest.mark.parametrize(
    "text",
    [
        "受理中心周六开门吗",
        "十一月份",
        "住十一楼",
        "十一点",
        "周末上班吗",
        "3号楼在哪",
        "坐1号线",
        "我今年85岁",
        "收入520块",
        "电话13812345678",
        "千万别",
    ],
)
def test_not_dates(text):
    assert values(text, "date") == []


@pytest.mark.parametrize(
    "text, expected",
    [
        ("后天上午", ["上午"]),
        ("早上去", ["上午"]),
        ("下午三点", ["下午"]),
        ("中午后", ["下午"]),
        ("早上好", []),
        ("下午好", []),
        ("等了一上午", []),
    ],
)
def test_time_of_day(text, expected):
    assert values(text, "time_of_day") == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("家里三口人", [3]),
        ("我们一家四口", [4]),
        ("我一个人过", [1]),
        ("家里5个人", [5]),
        ("我们老两口", [2]),
        ("五口之家", [5]),
        ("户口本上一共六个人", [6]),
    ],
)
def test_person_count(text, expected):
    assert values(text, "person_count") == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("一千五", [1500]),
        ("两千块", [2000]),
        ("3千", [3000]),
        ("1.5万", [15000]),
        ("收入两千二", [2200]),
        ("退休金2200", [2200]),
        ("一个月1800元", [1800]),
        ("存款有五万", [50000]),
        ("医药费花了两万多", [20000]),
        ("收入三千一个月", [3000]),
        ("两万三", [23000]),
    ],
)
def test_amount(text, expected):
    assert values(text, "amount") == expected


@pytest.mark.parametrize("text", ["我今年八十五岁", "一百岁老人", "跑了三趟", "住3楼", "千万别", "万一不行呢", "2号楼"])
def test_not_amounts(text):
    assert values(text, "amount") == []


def test_offsets_point_at_the_original_text():
    text = "想在下週三下午去領證 家裡三口人"  # traditional characters
    ents = extract(text, NOW)
    assert [(e["entity"], text[e["start"] : e["end"]], e["value"]) for e in ents] == [
        ("date", "下週三", "2026-12-02"),
        ("time_of_day", "下午", "下午"),
        ("person_count", "三口人", 3),
    ]


def test_reference_time_order(monkeypatch):
    monkeypatch.delenv("CIVIC_NLU_NOW", raising=False)
    assert reference_time({"reference_time": "2026-01-02T03:04:05+08:00"}).date().isoformat() == "2026-01-02"
    assert reference_time({"CreateTime": 1798761600}).date().isoformat() == "2027-01-01"  # epoch seconds
    monkeypatch.setenv("CIVIC_NLU_NOW", "2026-11-23T10:00:00+08:00")
    assert reference_time(None).date().isoformat() == "2026-11-23"
    assert reference_time({"timestamp": "not a time"}).date().isoformat() == "2026-11-23"
