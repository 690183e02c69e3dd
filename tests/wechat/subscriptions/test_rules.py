"""WeChat's content rules, checked by the platform before sending (web/wechat_api/rules.py)."""

from __future__ import annotations

import pytest

from web.wechat_api.rules import notice_problems, notice_type, template_problems


@pytest.mark.parametrize(
    "key, value, ok",
    [
        ("thing1", "高龄津贴申请提醒", True),
        ("thing1", "字" * 20, True),
        ("thing1", "字" * 21, False),
        ("thing1", "两行\n文字", False),
        ("thing1", "", False),
        ("phrase2", "已受理", True),
        ("phrase2", "入户调查中啊", False),  # 6 characters
        ("phrase2", "第2步", False),  # only 汉字
        ("number3", "12.5", True),
        ("number3", "十二", False),
        ("character_string4", "SQ-2026-0001", True),
        ("character_string4", "申请号1", False),
        ("time5", "15:01", True),
        ("time5", "2026年12月1日 15:01", True),
        ("time5", "2026-12-01 09:00 ~ 2026-12-01 11:30", True),
        ("time5", "明天上午", False),
        ("date6", "2026年12月1日", True),
        ("date6", "下周", False),
        ("amount7", "¥1510.00", True),
        ("amount7", "1510元", True),
        ("amount7", "一千元", False),
        ("phone_number8", "021-12345678", True),
        ("phone_number8", "0" * 18, False),
        ("name9", "王秀英", True),
        ("name9", "王" * 11, False),
        ("letter10", "ABC", True),
        ("symbol11", "★", True),
        ("car_number12", "沪A12345", True),
    ],
)
def test_notice_values_keep_their_types_rule(key, value, ok):
    assert (notice_problems({key: value}) == []) is ok


def test_a_key_must_name_a_type_and_problems_are_chinese():
    assert notice_type("thing12") == "thing" and notice_type("character_string3") == "character_string"
    assert notice_type("first") is None and notice_type("keyword1") is None
    [problem] = notice_problems({"first": "您好"})
    assert "不是订阅通知的字段名" in problem
    [problem] = notice_problems({"thing1": "您好，您可能符合高龄津贴的申请条件，回复申请即可办理"})
    assert "thing1" in problem and "20 个字以内" in problem and "共 26 个字" in problem


def test_template_messages_keep_the_rules_of_2023_05_04():
    assert template_problems({"thing1": "高龄津贴", "time2": "2026年12月1日"}) == []
    problems = template_problems(
        {
            "first": "您好",
            "remark": "谢谢",
            "keyword1": {"value": "高龄津贴", "color": "#173177"},
            "keyword2": "第一行\n第二行",
            "keyword3": "字" * 21,
        }
    )
    assert len(problems) == 5
    assert any("first" in p for p in problems) and any("颜色" in p for p in problems)
    assert any("换行" in p for p in problems) and any("最多 20 个字" in p for p in problems)
