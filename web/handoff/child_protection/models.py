from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from web.orm import Base


class ChildProtectionReferral(Base):
    """A report of a child at risk the platform hands to the back-office.

    ``id`` is the ``Idempotency-Key`` of every attempt, so retries, a redelivered task or a sweep racing a
    retry all end in one case. ``status``: pending → sent (``reference`` and ``assigned_to`` are the
    back-office's answer) or refused (a 4xx; ``last_error`` holds why). ``account`` is what the resident said,
    as written; ``conversation_url`` is fixed by the first attempt, so that every attempt sends the same body
    (a changed ``PUBLIC_BASE_URL`` would otherwise make the key's body differ, which the back-office refuses). ``created_at`` and ``last_attempt_at`` are the database's clock (the sweep compares them with
    it); ``reported_at`` is the desk's naive UTC.
    """

    __tablename__ = "child_protection_referral"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversation.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    account: Mapped[str] = mapped_column(Text)
    reported_at: Mapped[datetime] = mapped_column(DateTime)
    conversation_url: Mapped[str | None] = mapped_column(String(500), default=None)
    status: Mapped[str] = mapped_column(String(10), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    last_attempt_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    reference: Mapped[str | None] = mapped_column(String(24), default=None)
    assigned_to: Mapped[dict] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())
    sent_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
