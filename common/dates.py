"""Dates as residents read them: 2026年12月1日, never the ISO form (2026-12-01) the services exchange.

One formatter for every process that writes a date into a reply (actions, web), so that a read-back,
a progress answer and a status notice all say a day the same way.
"""

from __future__ import annotations

from datetime import date


def full_date(day: date | str) -> str:
    """``day`` (a date or datetime, or its ISO text) as 2026年12月1日."""
    if isinstance(day, str):
        day = date.fromisoformat(day[:10])
    return f"{day.year}年{day.month}月{day.day}日"
