"""The bureau's calendar: local time (Asia/Shanghai) and what kind of day a date is.

The desk's working hours (web/handoff/config.py) and the on-call rota (web/oncall/rota.py)
read days the same way, so "after hours" and "someone is on call" are judged on one calendar:
a statutory public holiday is ``holiday`` (from the ``chinese-calendar`` package), a weekend
day worked instead of a holiday (调休) counts as a Monday, any other day is its weekday.
Timestamps are stored as naive UTC.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

import chinese_calendar

LOCAL = ZoneInfo("Asia/Shanghai")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES = {
    "mon": "周一",
    "tue": "周二",
    "wed": "周三",
    "thu": "周四",
    "fri": "周五",
    "sat": "周六",
    "sun": "周日",
    "holiday": "法定节假日",
}


def utcnow() -> datetime:
    """Naive UTC, as every platform timestamp is stored."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def to_local(moment: datetime) -> datetime:
    """A naive UTC timestamp as the bureau's local time."""
    return moment.replace(tzinfo=timezone.utc).astimezone(LOCAL)


@lru_cache(maxsize=1024)
def day_kind(day: date) -> str:
    """``mon`` … ``sun``, or ``holiday``; a 调休 weekend working day is ``mon`` (the calendar is fixed per
    release of the package: remembered, as the rota's week is read in 5-minute steps)."""
    try:
        on_holiday, name = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:  # a year the calendar package does not know yet: plain weekdays
        return DAYS[day.weekday()]
    if on_holiday and name:
        return "holiday"
    if not on_holiday and day.weekday() >= 5:  # 调休: a weekend day worked instead of a holiday
        return "mon"
    return DAYS[day.weekday()]
