from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from web.orm import Base


class OutboxEntry(Base):
    """Something the bot promised to submit to the back-office once it answers again.

    ``id`` is the idempotency key the action already used for its own attempt, so a
    resubmission can never create a second case. ``status``: pending → sent, or
    refused when the back-office answered 4xx (``last_error`` holds its message).
    """

    __tablename__ = "outbox"
    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    body: Mapped[dict] = mapped_column(default=dict)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversation.id"), index=True)
    status: Mapped[str] = mapped_column(String(10), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    result: Mapped[dict] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())
    sent_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    notified_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
