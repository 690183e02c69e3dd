from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, Float, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from web.orm import Base


class AnalyticsEvent(Base):
    """One thing that happened in a conversation; every analytics figure is SQL over these rows.

    ``kind``: conversation_started, message_in, flow_started, flow_completed, flow_abandoned,
    handoff_requested, handoff_claimed, handoff_closed, agent_message, rating.
    No personal data: entity *names* only, never values, so events outlive the transcript
    (retention deletes messages, not events). ``conversation_id`` is therefore no foreign key.
    """

    __tablename__ = "analytics_event"
    __table_args__ = (Index("ix_analytics_event_kind_at", "kind", "at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, index=True)
    kind: Mapped[str] = mapped_column(String(24))
    conversation_id: Mapped[int] = mapped_column(Integer, index=True)
    channel: Mapped[str | None] = mapped_column(String(16), default=None)
    district: Mapped[str | None] = mapped_column(String(40), default=None)
    intent: Mapped[str | None] = mapped_column(String(80), default=None)
    confidence: Mapped[float | None] = mapped_column(Float, default=None)
    fallback: Mapped[bool] = mapped_column(Boolean, default=False)
    flow: Mapped[str | None] = mapped_column(String(60), default=None)  # a form (active loop) or a rated task
    step: Mapped[str | None] = mapped_column(String(60), default=None)  # the slot the flow was asking for
    reason: Mapped[str | None] = mapped_column(String(40), default=None)  # handoff reason
    value: Mapped[int | None] = mapped_column(Integer, default=None)  # a rating's level
    detail: Mapped[dict] = mapped_column(default=dict)
