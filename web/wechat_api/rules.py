"""WeChat's content rules for what the platform pushes, checked before anything is sent.

Two kinds of push outside a customer-service window (sources in docs/wechat.md, *Subscription
notices and template messages*):

* **subscription notices** (订阅通知, ``/cgi-bin/message/subscribe/bizsend``): each data key names
  its type (``thing1`` is a ``thing``, ``time2`` a ``time``), and each type limits its value;
  WeChat answers 47003 (``argument invalid! data.thing1.value invalid``) for a value that breaks it.
  :func:`notice_problems` checks the types below; ``enum`` (values from the template's own list)
  is checked by WeChat only.
* **template messages** (模板消息), restricted since 2023-05-04: ``first`` and ``remark`` are no
  longer shown, colours are ignored, each field shows at most 20 characters and no line breaks.
  WeChat drops or cuts such content silently; the platform refuses it instead
  (:func:`template_problems`), so that no resident receives a cut message.

Problems are plain Chinese sentences for the staff who wrote the text (the campaign page shows
them); the sending code raises :class:`web.wechat_api.errors.RuleBroken` with them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

TEMPLATE_FIELD_MAX = 20
TEMPLATE_DROPPED_KEYS = ("first", "remark")

_HAN = r"\u3400-\u4dbf\u4e00-\u9fff"
_TIME = r"(\d{4}年\d{1,2}月\d{1,2}日\s*)?([01]?\d|2[0-3]):[0-5]\d(:[0-5]\d)?"
_DATE = r"\d{4}(年\d{1,2}月\d{1,2}日|[-./]\d{1,2}[-./]\d{1,2})(\s*([01]?\d|2[0-3]):[0-5]\d(:[0-5]\d)?)?"
_TIME_ALT = r"\d{4}[-./]\d{1,2}[-./]\d{1,2}\s+([01]?\d|2[0-3]):[0-5]\d(:[0-5]\d)?"


def _span(one: str) -> re.Pattern[str]:
    """A value, or a period of two values joined by ``~`` (time and date allow both)."""
    return re.compile(rf"^({one})(\s*~\s*({one}))?$")


# type -> (what the staff are told, check). Lengths count characters (a Chinese character is one).
NOTICE_TYPES: dict[str, tuple[str, Any]] = {
    "thing": ("事物：20 个字以内（汉字、数字、字母、符号均可）", lambda v: 0 < len(v) <= 20),
    "number": ("数字：32 位以内的数字，可带小数", lambda v: bool(re.fullmatch(r"\d+(\.\d+)?", v)) and len(v) <= 32),
    "letter": ("字母：32 个以内的字母", lambda v: bool(re.fullmatch(r"[A-Za-z]{1,32}", v))),
    "symbol": ("符号：5 个以内的符号", lambda v: 0 < len(v) <= 5 and not re.search(rf"[0-9A-Za-z{_HAN}\s]", v)),
    "character_string": (
        "字符串：32 位以内的数字、字母或符号（不能有汉字）",
        lambda v: 0 < len(v) <= 32 and not re.search(rf"[{_HAN}\s]", v),
    ),
    "time": (
        "时间：24 小时制，如 15:01 或 2026年12月1日 15:01，时间段用 ~ 连接",
        lambda v: bool(_span(_TIME).match(v) or _span(_TIME_ALT).match(v)),
    ),
    "date": ("日期：如 2026年12月1日（可带时间），时间段用 ~ 连接", lambda v: bool(_span(_DATE).match(v))),
    "amount": (
        "金额：1 个币种符号加 10 位以内数字，可带小数，结尾可带“元”",
        lambda v: bool(re.fullmatch(r"[¥￥$€£]?\d{1,10}(\.\d{1,2})?元?", v)),
    ),
    "phone_number": ("电话：17 位以内的数字和符号", lambda v: bool(re.fullmatch(r"[0-9+\-() ]{1,17}", v))),
    "car_number": (
        "车牌：8 位以内，首尾可为汉字，其余为字母或数字",
        lambda v: bool(re.fullmatch(rf"[{_HAN}A-Za-z0-9][A-Za-z0-9]{{0,6}}[{_HAN}A-Za-z0-9]?", v)) and len(v) <= 8,
    ),
    "name": (
        "姓名：10 个以内汉字，或 20 个以内字母",
        lambda v: bool(re.fullmatch(rf"[{_HAN}·]{{1,10}}", v) or re.fullmatch(r"[A-Za-z .'-]{1,20}", v)),
    ),
    "phrase": ("汉字：5 个以内的纯汉字", lambda v: bool(re.fullmatch(rf"[{_HAN}]{{1,5}}", v))),
}
_KEY = re.compile(r"^([a-z_]+?)(\d+)$")


def notice_type(key: str) -> str | None:
    """The data type a subscription template's key names (``thing1`` → ``thing``), or None."""
    m = _KEY.match(key)
    return m.group(1) if m and m.group(1) in NOTICE_TYPES else None


def value_of(field: Any) -> str:
    return str(field.get("value", "")) if isinstance(field, Mapping) else str(field)


def notice_problems(data: Mapping[str, Any]) -> list[str]:
    """What in a subscription notice's data WeChat would refuse (47003), in Chinese; empty when none."""
    if not data:
        return ["通知没有内容"]
    problems = []
    for key, field in data.items():
        kind = notice_type(key)
        value = value_of(field)
        if kind is None:
            problems.append(f"“{key}”不是订阅通知的字段名（应为 thing1、time2 这样的类型加序号）")
            continue
        rule, check = NOTICE_TYPES[kind]
        if "\n" in value or "\r" in value or not check(value.strip() if kind != "thing" else value):
            problems.append(f"字段 {key}（{rule}）现在是“{value}”，共 {len(value)} 个字")
    return problems


def template_problems(data: Mapping[str, Any]) -> list[str]:
    """What in a template message's data WeChat no longer shows as written (since 2023-05-04), in Chinese."""
    problems = []
    for key, field in data.items():
        value = value_of(field)
        if key in TEMPLATE_DROPPED_KEYS:
            problems.append(f"模板消息不再显示 {key} 字段（2023年5月4日起），请删去")
        if isinstance(field, Mapping) and "color" in field:
            problems.append(f"模板消息不再支持自定义颜色（字段 {key}）")
        if "\n" in value or "\r" in value:
            problems.append(f"模板消息的字段不能换行（字段 {key}）")
        if len(value) > TEMPLATE_FIELD_MAX:
            problems.append(f"模板消息每个字段最多 {TEMPLATE_FIELD_MAX} 个字（字段 {key} 有 {len(value)} 个字）")
    return problems
