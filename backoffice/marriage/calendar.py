"""Which days offices register on, which are peak days, and the booking window.

The rules are data (``backoffice/seed/marriage_calendar.yaml``); public holidays and
adjusted working days come from chinese-calendar (the State Council's yearly notice).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

import chinese_calendar
import yaml
from lunardate import LunarDate

CALENDAR_FILE = Path(__file__).resolve().parent.parent / "seed" / "marriage_calendar.yaml"
MATERIALS_FILE = CALENDAR_FILE.with_name("marriage_materials.yaml")
SHANGHAI = ZoneInfo("Asia/Shanghai")
WEEKDAYS = "一二三四五六日"


def today() -> date:
    return datetime.now(SHANGHAI).date()


@dataclass(frozen=True)
class DayStatus:
    day: date
    open: bool
    reason: str  # why it is closed ("" when open)
    peak: str  # the peak day's name, "" on ordinary days


@lru_cache(maxsize=1)
def rules() -> dict:
    return yaml.safe_load(CALENDAR_FILE.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def materials() -> dict[str, list[str]]:
    return yaml.safe_load(MATERIALS_FILE.read_text(encoding="utf-8"))


def peak_name(day: date) -> str:
    for peak in rules().get("peak_days", []):
        if "date" in peak and day.strftime("%m-%d") == peak["date"]:
            return peak["name"]
        if "lunar_date" in peak:
            month, dom = (int(x) for x in peak["lunar_date"].split("-"))
            if LunarDate(day.year, month, dom).to_solar_date() == day:
                return peak["name"]
    return ""


def _official(day: date) -> tuple[bool, str] | None:
    """(is a working day, holiday name) by the published arrangement, or None when it is not out yet."""
    published = (rules().get("published_years") or {}).get(day.year)
    if published is not None:
        iso = day.isoformat()
        if iso in published.get("workdays", []):
            return True, ""
        for first, last in published.get("holidays", []):
            if first <= iso <= last:
                return False, "法定节假日"
        return day.weekday() < 5, ""
    try:
        on_holiday, name = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:
        return None
    return not on_holiday, ("法定节假日" if on_holiday and name else "")


def day_status(day: date, closures: dict[date, str]) -> DayStatus:
    """``closures``: the office's own closed days (day → reason) from the database."""
    peak = peak_name(day)
    official = _official(day)
    if official is None:
        return DayStatus(day, False, f"{day.year}年的节假日安排还没有公布，这一天暂时还不能预约", peak)
    working, holiday = official
    if holiday:
        return DayStatus(day, False, "法定节假日，登记处不上班", peak)
    if day in closures:
        return DayStatus(day, False, closures[day], peak)
    if not working:
        weekend_peak = any(p["name"] == peak and p.get("open_on_weekend") for p in rules().get("peak_days", []))
        if not weekend_peak:
            return DayStatus(day, False, "周末登记处不上班", peak)
    return DayStatus(day, True, "", peak)


def booking_window(now: date | None = None) -> tuple[date, date]:
    now = now or today()
    booking = rules()["booking"]
    return now + timedelta(days=booking["earliest_days_ahead"]), now + timedelta(days=booking["horizon_days"])


def cooling_off_window(application_day: date) -> tuple[date, date]:
    """The days a divorce certificate can be collected after an application on ``application_day``."""
    cooling = rules()["divorce_cooling_off"]
    return application_day + timedelta(days=cooling["first_day"]), application_day + timedelta(days=cooling["last_day"])


def chinese_date(day: date) -> str:
    return f"{day.month}月{day.day}日（周{WEEKDAYS[day.weekday()]}）"
