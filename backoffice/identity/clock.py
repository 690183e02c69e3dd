"""The identity stand-in's clock: naive UTC, as its expiry columns store it."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
