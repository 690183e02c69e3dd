"""The change feed's one table: an outbox written in the transaction of the change it records."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, String
from sqlalchemy.orm import Mapped, mapped_column

from backoffice.orm import Base

DOMAINS = ("assistance", "benefits", "cemetery", "eldercare", "marriage")
KINDS = ("status", "reminder", "cancelled", "waitlist_booked", "opening_moved")


class Change(Base):
    """One change a resident is to be told of.

    ``recipient`` is the sender (WeChat openid or web chat sender) that applied or booked, still bound to the
    same resident when the change was made; ``data`` holds the plain values the platform's text needs (status
    words, next step, day label …). ``once_key`` makes a change that may be produced more than once (the
    appointment reminder) exist once."""

    __tablename__ = "change_feed"
    id: Mapped[int] = mapped_column(primary_key=True)
    domain: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))
    ref: Mapped[str] = mapped_column(String(24))  # case number, application reference, appointment number
    recipient: Mapped[str] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(20), default="")
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    once_key: Mapped[str | None] = mapped_column(String(80), unique=True, default=None)
    at: Mapped[datetime] = mapped_column(DateTime)
