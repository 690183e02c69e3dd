"""Which days offices register on, which are peak days, and the divorce cooling-off window.

The rules are data (``backoffice/seed/marriage_calendar.yaml``). Public holidays and adjusted working
days of a year come, in this order, from the arrangement an administrator entered (the State
Council's notice, kept in the database: :class:`Arrangement`), from chinese-calendar (the notices it
ships with), or, while neither has the year, from the statutory holidays themselves
(:func:`statutory`): a day is then offered *provisionally* and the resident is told so.
"""

from __future__ import annotations

from collections.abc import Mapping
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
# chinese-calendar names its holidays in English.
HOLIDAY_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利纪念日",
}


def now() -> datetime:
    """The time in Shanghai, without a zone (as the offices' cut-off times are written)."""
    return datetime.now(SHANGHAI).replace(tzinfo=None)


def today() -> date:
    return now().date()


@dataclass(frozen=True)
class Arrangement:
    """One year's holidays (first day, last day, name) and adjusted working days (调休上班)."""

    year: int
    holidays: tuple[tuple[date, date, str], ...]
    workdays: frozenset[date]
    provisional: bool = False  # computed from the statutory holidays: the State Council has not published it

    def holiday(self, day: date) -> str | None:
        return next((name for first, last, name in self.holidays if first <= day <= last), None)


@dataclass(frozen=True)
class DayStatus:
    day: date
    open: bool
    reason: str  # why it is closed ("" when open)
    peak: str  # the peak day's name, "" on ordinary days
    notice: str = ""  # said with an open day whose year's arrangement is not published yet


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


# --- the statutory holidays ----------------------------------------------------------------------------------------


def _lunar(year: int, month: int, day: int) -> date:
    return LunarDate(year, month, day).to_solar_date()


def _qingming(year: int) -> date:
    """The solar term 清明 (the sun at 15°), as chinese-calendar computes the solar terms."""
    return next(
        day for day, name in chinese_calendar.get_solar_terms(date(year, 4, 1), date(year, 4, 10)) if name == "清明"
    )


def festivals(year: int) -> list[tuple[str, list[date]]]:
    """The days off of 全国年节及纪念日放假办法 (as amended in 2024, article 2) in ``year``."""
    new_year = _lunar(year, 1, 1)
    return [
        ("元旦", [date(year, 1, 1)]),
        ("春节", [new_year + timedelta(days=i) for i in range(-1, 3)]),  # 除夕 to 正月初三
        ("清明节", [_qingming(year)]),
        ("劳动节", [date(year, 5, 1), date(year, 5, 2)]),
        ("端午节", [_lunar(year, 5, 5)]),
        ("中秋节", [_lunar(year, 8, 15)]),
        ("国庆节", [date(year, 10, d) for d in (1, 2, 3)]),
    ]


@lru_cache(maxsize=8)
def statutory(year: int) -> Arrangement:
    """The year's holidays by the statute alone: each festival's days, and for each of them that falls on a
    Saturday or Sunday (or on another festival's day) a weekday off right after it (article 6: 适逢星期六、星期日，
    应当在工作日补假). The State Council's notice usually moves more days (调休); until it is entered, this is
    what the offices go by, provisionally."""
    taken: set[date] = set()
    holidays = []
    for name, days in festivals(year):
        owed = sum(1 for d in days if d.weekday() >= 5 or d in taken)
        taken.update(days)
        last = max(days)
        while owed:
            last += timedelta(days=1)
            if last.weekday() < 5 and last not in taken:
                taken.add(last)
                owed -= 1
        holidays.append((min(days), last, name))
    return Arrangement(year, tuple(sorted(holidays)), frozenset(), provisional=True)


# --- one day -------------------------------------------------------------------------------------------------------


def _official(day: date, entered: Mapping[int, Arrangement]) -> tuple[bool, str, bool]:
    """(is a working day, holiday name or "", provisional) by the best arrangement known for the day's year."""
    arrangement = entered.get(day.year)
    if arrangement is None:
        try:
            on_holiday, name = chinese_calendar.get_holiday_detail(day)
        except NotImplementedError:
            arrangement = statutory(day.year)
        else:
            holiday = HOLIDAY_NAMES.get(name or "", "法定节假日") if on_holiday and name else ""
            return not on_holiday, holiday, False
    if day in arrangement.workdays:
        return True, "", arrangement.provisional
    holiday = arrangement.holiday(day)
    return holiday is None and day.weekday() < 5, holiday or "", arrangement.provisional


def provisional_notice(year: int) -> str:
    return (
        f"{year}年的放假安排国务院还没有公布，这一天是按法定节假日推算的可以办理的日子；"
        "安排公布后如果这一天要放假，登记处会提前联系您改约。"
    )


def day_status(day: date, closures: Mapping[date, str], entered: Mapping[int, Arrangement] | None = None) -> DayStatus:
    """``closures``: the office's own closed days (day → reason); ``entered``: the arrangements administrators
    entered (year → arrangement), both from the database."""
    peak = peak_name(day)
    working, holiday, provisional = _official(day, entered or {})
    if holiday:
        return DayStatus(day, False, "法定节假日，登记处不上班", peak)
    if day in closures:
        return DayStatus(day, False, closures[day], peak)
    if not working:
        weekend_peak = any(p["name"] == peak and p.get("open_on_weekend") for p in rules().get("peak_days", []))
        if not weekend_peak:
            return DayStatus(day, False, "周末登记处不上班", peak)
    return DayStatus(day, True, "", peak, provisional_notice(day.year) if provisional else "")


def cooling_off_window(application_day: date) -> tuple[date, date]:
    """The days a divorce certificate can be collected after an application on ``application_day``."""
    cooling = rules()["divorce_cooling_off"]
    return application_day + timedelta(days=cooling["first_day"]), application_day + timedelta(days=cooling["last_day"])


def chinese_date(day: date) -> str:
    return f"{day.month}月{day.day}日（周{WEEKDAYS[day.weekday()]}）"
