"""How the cemetery forms read an answer typed in words (actions/cemetery/common.py)."""

from __future__ import annotations

import pytest

from actions.cemetery.common import asks_whether, companions_in, festival_day, looks_up, not_a_booking_day

SEASON = {"season": {"name": "清明", "date": "2027-04-05", "first": "2027-03-26", "last": "2027-04-12"}}


@pytest.mark.parametrize(
    ("text", "companions"),
    [
        ("就我一个", 0),
        ("我一个人去", 0),
        ("0", 0),
        ("2", 2),
        ("带两个", 2),
        ("带2位", 2),
        ("我们三个人", 2),
        ("一家四口", 3),
        ("还有两个人一起", 2),
        ("好的", None),
        ("东门", None),
    ],
)
def test_how_many_go_with_the_resident(text, companions):
    assert companions_in(text) == companions


def test_the_festival_day_is_read_only_for_its_own_season():
    assert festival_day("清明那天", SEASON) == "2027-04-05"
    assert festival_day("清明", SEASON) == "2027-04-05"
    assert festival_day("冬至那天", SEASON) is None
    assert festival_day("清明前后哪天都行", SEASON) is None


def test_a_day_off_season_is_told_when_booking_is_needed():
    said = not_a_booking_day(SEASON["season"])
    assert "不用预约" in said and "3月26日到4月12日" in said


@pytest.mark.parametrize(
    ("text", "question"),
    [
        ("清明节去扫墓是不是要先预约啊", True),
        ("清明去上坟要预约伐", True),
        ("冬至扫墓要不要预约？", True),
        ("冬至想去给我妈扫墓，要预约吗", True),
        ("你好，我帮我爸爸问一下，冬至想去给我妈扫墓，要预约吗", True),
        ("帮我爸爸问一下冬至去给我妈上坟要约吗", True),
        ("给我爸约一个冬至扫墓", False),
        ("帮我弄一下扫墓预约好吗", False),
        ("帮我预约冬至扫墓", False),
        ("扫墓要约是吧 那帮我约一个", False),
        ("能帮我约一下吗", False),
        ("预约祭扫", False),
    ],
)
def test_a_question_about_booking_is_not_a_request_to_book(text, question):
    assert asks_whether(text) is question


@pytest.mark.parametrize(
    ("text", "look_up"),
    [
        ("我的扫墓预约", True),
        ("我约好的扫墓是几号", True),
        ("查一下我的扫墓预约", True),
        ("我要查一下祭扫预约", True),
        ("我要预约扫墓", False),
        ("帮我预约冬至扫墓", False),
        ("预约祭扫", False),
        ("我想约清明扫墓", False),
    ],
)
def test_a_look_up_is_not_a_request_to_book(text, look_up):
    assert looks_up(text) is look_up
