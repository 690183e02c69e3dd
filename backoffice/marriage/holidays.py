"""The State Council's holiday arrangements as administrators enter them, and the appointments they affect.

Until a year's arrangement is entered (or shipped with chinese-calendar), its days are offered by the
statutory holidays (:func:`backoffice.marriage.calendar.statutory`). Entering it may turn a booked day into a
holiday: such appointments are flagged for staff (``MarriageAppointment.flag``), who call the residents and move
or cancel them (``office-cancel`` tells the resident through the change feed).
"""

from __future__ import annotations

from datetime import date

import chinese_calendar
from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice.errors import ApiError
from backoffice.marriage import calendar
from backoffice.marriage.models import MarriageAppointment, MarriageHolidayArrangement

NAME_MAX = 10


def entered(sess: Session, years: set[int] | None = None) -> dict[int, calendar.Arrangement]:
    """The arrangements administrators entered (for ``years``, or all)."""
    query = select(MarriageHolidayArrangement)
    if years is not None:
        query = query.where(MarriageHolidayArrangement.year.in_(years))
    return {row.year: _arrangement(row) for row in sess.scalars(query)}


def _arrangement(row: MarriageHolidayArrangement) -> calendar.Arrangement:
    return calendar.Arrangement(
        row.year,
        tuple((date.fromisoformat(h["first"]), date.fromisoformat(h["last"]), h["name"]) for h in row.holidays),
        frozenset(date.fromisoformat(d) for d in row.workdays),
    )


def _day(value: object, year: int, what: str) -> date:
    try:
        day = date.fromisoformat(str(value).strip())
    except ValueError:
        raise ApiError(422, "invalid_arrangement", f"{what}“{value}”不是有效的日期，请写成 2027-02-05 这样") from None
    if day.year != year:
        raise ApiError(422, "invalid_arrangement", f"{what}{day.isoformat()}不在{year}年里，请填在{day.year}年的安排中")
    return day


def parse(year: int, body: dict) -> calendar.Arrangement:
    """An arrangement from an administrator's form: holiday ranges (name, first, last) and adjusted working days."""
    if not 2000 <= year <= 2099:
        raise ApiError(422, "invalid_arrangement", "年份要在2000到2099之间")
    raw_holidays, raw_workdays = body.get("holidays"), body.get("workdays", [])
    if not isinstance(raw_holidays, list) or not raw_holidays or not isinstance(raw_workdays, list):
        raise ApiError(422, "invalid_arrangement", "至少要填一段放假的日子")
    holidays = []
    for raw in raw_holidays:
        if not isinstance(raw, dict):
            raise ApiError(422, "invalid_arrangement", "放假的日子格式不对")
        name = str(raw.get("name") or "").strip()
        if not 0 < len(name) <= NAME_MAX:
            raise ApiError(422, "invalid_arrangement", f"每段放假都要写上节日名称（{NAME_MAX}个字以内），比如“春节”")
        first, last = _day(raw.get("first"), year, f"{name}的第一天"), _day(raw.get("last"), year, f"{name}的最后一天")
        if last < first:
            raise ApiError(422, "invalid_arrangement", f"{name}的最后一天比第一天还早，请核对一下")
        holidays.append((first, last, name))
    workdays = frozenset(_day(d, year, "调休上班日") for d in raw_workdays)
    for day in sorted(workdays):
        if day.weekday() < 5:
            raise ApiError(
                422, "invalid_arrangement", f"调休上班日{calendar.chinese_date(day)}本来就是工作日，请核对一下"
            )
        if any(first <= day <= last for first, last, _ in holidays):
            raise ApiError(422, "invalid_arrangement", f"{calendar.chinese_date(day)}既是放假又是调休上班，请核对一下")
    return calendar.Arrangement(year, tuple(sorted(holidays)), workdays)


def save(sess: Session, arrangement: calendar.Arrangement, editor: str) -> list[MarriageAppointment]:
    """Store the year's arrangement and flag (or clear the flag of) every upcoming appointment in that year by it;
    the appointments now flagged."""
    row = sess.get(MarriageHolidayArrangement, arrangement.year) or MarriageHolidayArrangement(year=arrangement.year)
    row.holidays = [
        {"name": n, "first": f.isoformat(), "last": last.isoformat()} for f, last, n in arrangement.holidays
    ]
    row.workdays = sorted(d.isoformat() for d in arrangement.workdays)
    row.entered_by = editor
    sess.add(row)
    upcoming = sess.scalars(
        select(MarriageAppointment).where(
            MarriageAppointment.status == "booked",
            MarriageAppointment.day >= max(calendar.today(), date(arrangement.year, 1, 1)),
            MarriageAppointment.day <= date(arrangement.year, 12, 31),
        )
    )
    for appointment in upcoming:
        status = calendar.day_status(appointment.day, {}, {arrangement.year: arrangement})
        appointment.flag = "" if status.open else _flag(arrangement, appointment.day, status.reason)
    sess.flush()
    return flagged(sess)


def _flag(arrangement: calendar.Arrangement, day: date, reason: str) -> str:
    holiday = arrangement.holiday(day)
    why = f"是{holiday}假期" if holiday else reason
    return f"{arrangement.year}年放假安排公布后，{calendar.chinese_date(day)}{why}：请联系当事人改约或取消"[:120]


def flagged(sess: Session) -> list[MarriageAppointment]:
    """Upcoming booked appointments that need staff, by day."""
    return list(
        sess.scalars(
            select(MarriageAppointment)
            .where(
                MarriageAppointment.status == "booked",
                MarriageAppointment.flag != "",
                MarriageAppointment.day >= calendar.today(),
            )
            .order_by(MarriageAppointment.day, MarriageAppointment.start)
        )
    )


def overview(sess: Session, years: list[int]) -> list[dict]:
    """Each year's arrangement and where it comes from: ``entered`` (an administrator), ``published``
    (chinese-calendar ships it) or ``provisional`` (computed from the statutory holidays)."""
    stored = {row.year: row for row in sess.scalars(select(MarriageHolidayArrangement))}
    out = []
    for year in sorted(set(years) | set(stored)):
        row = stored.get(year)
        if row is not None:
            out.append(_year_json(_arrangement(row), "entered", row.entered_by, row.entered_at.isoformat()))
        elif _shipped(year):
            out.append(_year_json(calendar.Arrangement(year, (), frozenset()), "published"))
        else:
            out.append(_year_json(calendar.statutory(year), "provisional"))
    return out


def _shipped(year: int) -> bool:
    try:
        chinese_calendar.get_holiday_detail(date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


def _year_json(a: calendar.Arrangement, source: str, entered_by: str = "", entered_at: str | None = None) -> dict:
    return {
        "year": a.year,
        "source": source,
        "holidays": [{"name": n, "first": f.isoformat(), "last": last.isoformat()} for f, last, n in a.holidays],
        "workdays": sorted(d.isoformat() for d in a.workdays),
        "entered_by": entered_by,
        "entered_at": entered_at,
    }
