"""When a campaign may push: its start time and quiet hours, in the residents' local time.

Campaign times (``starts_at``, ``claimed_at``, ``sent_at`` …) are Asia/Shanghai wall-clock
times stored without a zone, whatever the server's own zone is.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Shanghai")


def now_local() -> datetime:
    return datetime.now(TZ).replace(tzinfo=None)


def from_server_time(at: datetime) -> datetime:
    """A naive timestamp of the server's own clock (other tables' ``datetime.now()``) in campaign time."""
    return at.astimezone(TZ).replace(tzinfo=None)


def to_server_time(at: datetime) -> datetime:
    """A campaign time as the server's own naive clock, to compare with other tables' timestamps."""
    return at.replace(tzinfo=TZ).astimezone().replace(tzinfo=None)


def parse_hhmm(value: str) -> time:
    hours, minutes = value.strip().split(":")
    return time(int(hours), int(minutes))


def in_quiet_hours(at: datetime, start: time, end: time) -> bool:
    """Quiet from ``start`` (included) to ``end`` (excluded); may span midnight; start == end: never quiet."""
    t = at.time()
    if start == end:
        return False
    if start < end:
        return start <= t < end
    return t >= start or t < end


def quiet_ends_at(at: datetime, start: time, end: time) -> datetime:
    """The first moment at or after ``at`` that is not in quiet hours."""
    if not in_quiet_hours(at, start, end):
        return at
    candidate = at.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    return candidate if candidate > at else candidate + timedelta(days=1)


def next_send_time(at: datetime, starts_at: datetime | None, start: time, end: time) -> datetime:
    """The earliest moment at or after ``at`` when the campaign may push."""
    at = max(at, starts_at) if starts_at else at
    return quiet_ends_at(at, start, end)


def next_day_send_time(at: datetime, starts_at: datetime | None, start: time, end: time) -> datetime:
    """The earliest moment of a later day when the campaign may push: where it resumes once
    today's WeChat quota is used (WeChat's days are Beijing days, as campaign times are)."""
    tomorrow = (at + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return next_send_time(tomorrow, starts_at, start, end)


def next_month_send_time(at: datetime, starts_at: datetime | None, start: time, end: time) -> datetime:
    """A monthly campaign's next run: the first day of the next month, at its first sending moment."""
    first = (at.replace(day=1) + timedelta(days=32)).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return next_send_time(first, starts_at, start, end)
