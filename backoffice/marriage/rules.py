"""Each office's booking rules: how far ahead, the cut-off for the earliest day, the cancellation deadline and
the no-show rule. An administrator sets them per office (``marriage_booking_rules``); an office without its
own row keeps the defaults in ``booking`` of backoffice/seed/marriage_calendar.yaml (docs/marriage.md says
which published rules they follow)."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice.errors import ApiError
from backoffice.marriage import calendar
from backoffice.marriage.models import MarriageAppointment, MarriageBookingRules, MarriageParty

CUTOFF = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
LIMITS = {  # field → (least, most, what it is in Chinese)
    "earliest_days_ahead": (1, 30, "最早提前几天预约"),
    "horizon_days": (1, 90, "最远可以约多少天以后"),
    "cancel_days_before": (0, 30, "最晚提前几天取消"),
    "no_show_limit": (1, 10, "几次爽约后暂停预约"),
    "no_show_period_days": (1, 365, "爽约次数按多少天内计算"),
    "no_show_ban_days": (0, 365, "暂停预约多少天"),
}


@dataclass(frozen=True)
class Rules:
    earliest_days_ahead: int  # 1: tomorrow at the earliest
    horizon_days: int  # the last bookable day is this many days from today
    cutoff: str  # "15:00": booking the earliest day closes at this time the day before it
    cancel_days_before: int  # 1: an appointment can be cancelled (or moved) until the day before it
    no_show_limit: int  # this many no-shows ...
    no_show_period_days: int  # ... within this many days ...
    no_show_ban_days: int  # ... and no booking for this many days from the last of them

    def window(self, at: datetime | None = None) -> tuple[date, date]:
        """The first and last day that can be booked at ``at`` (Shanghai time)."""
        at = at or calendar.now()
        first = at.date() + timedelta(days=self.earliest_days_ahead)
        if at.strftime("%H:%M") >= self.cutoff:
            first += timedelta(days=1)
        return first, at.date() + timedelta(days=self.horizon_days)

    def last_cancel_day(self, day: date) -> date:
        return day - timedelta(days=self.cancel_days_before)

    def json(self) -> dict:
        return asdict(self)


def defaults() -> Rules:
    return Rules(**calendar.rules()["booking"])


def for_office(sess: Session, office_code: str) -> Rules:
    row = sess.get(MarriageBookingRules, office_code)
    if row is None:
        return defaults()
    return Rules(**{f.name: getattr(row, f.name) for f in fields(Rules)})


def parse(body: dict) -> Rules:
    """Rules from an administrator's form; every field is needed, within its limits."""
    values: dict = {}
    for name, (least, most, what) in LIMITS.items():
        raw = body.get(name)
        if isinstance(raw, bool) or not isinstance(raw, int | str) or not str(raw).strip().isdigit():
            raise ApiError(422, "invalid_rules", f"“{what}”要填一个整数")
        value = int(str(raw).strip())
        if not least <= value <= most:
            raise ApiError(422, "invalid_rules", f"“{what}”要在{least}到{most}之间")
        values[name] = value
    cutoff = str(body.get("cutoff") or "").strip()
    if not CUTOFF.match(cutoff):
        raise ApiError(422, "invalid_rules", "“前一天几点截止预约”要写成 15:00 这样的时间")
    if values["earliest_days_ahead"] > values["horizon_days"]:
        raise ApiError(422, "invalid_rules", "最早能约的日子不能比最远能约的日子还晚")
    return Rules(cutoff=cutoff, **values)


def save(sess: Session, office_code: str, rules: Rules, editor: str) -> Rules:
    row = sess.get(MarriageBookingRules, office_code) or MarriageBookingRules(office_code=office_code)
    for name, value in asdict(rules).items():
        setattr(row, name, value)
    row.updated_by = editor
    sess.add(row)
    sess.flush()
    return rules


def no_show_ban(sess: Session, rules: Rules, name: str, id_number: str) -> ApiError | None:
    """The refusal for a person whose no-shows reached the office's limit within its period, while the ban from
    the last of them lasts; None when they may book."""
    days = sorted(
        sess.scalars(
            select(MarriageAppointment.day)
            .join(MarriageParty)
            .where(MarriageParty.id_number == id_number, MarriageAppointment.status == "no_show")
        )
    )
    today = calendar.today()
    n = rules.no_show_limit
    for i in range(n - 1, len(days)):
        first, last = days[i - n + 1], days[i]
        until = last + timedelta(days=rules.no_show_ban_days)
        if (last - first).days < rules.no_show_period_days and today < until:
            when = "、".join(calendar.chinese_date(d) for d in days[i - n + 1 : i + 1])
            return ApiError(
                422,
                "no_show_ban",
                f"{name}在{when}预约了婚姻登记，都没有来，也没有提前取消。按照预约规定，"
                f"{rules.no_show_period_days}天内{n}次预约了没来的，{rules.no_show_ban_days}天内不能在网上预约。"
                f"从{until.year}年{calendar.chinese_date(until)}起可以重新预约；着急办理的话，请打电话问问登记处。",
            )
    return None
