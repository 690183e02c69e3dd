from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Float, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from web.orm import Base


class ReviewItem(Base):
    """A resident message worth a reviewer's look. ``reason``: fallback, low_confidence or agent_corrected.

    ``status``: open → labelled (``label`` is an intent, out_of_scope included) → exported;
    or dismissed (not worth training on). ``text`` is the message with ID numbers and
    phones masked; the export strips personal data again, names included.
    """

    __tablename__ = "review_item"
    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int | None] = mapped_column(
        ForeignKey("message.id", ondelete="SET NULL"), default=None, index=True
    )
    text: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(String(16))
    guess: Mapped[str | None] = mapped_column(String(80), default=None)  # the bot's best intent
    confidence: Mapped[float | None] = mapped_column(Float, default=None)
    status: Mapped[str] = mapped_column(String(10), default="open", index=True)
    label: Mapped[str | None] = mapped_column(String(80), default=None)
    reviewed_by: Mapped[str | None] = mapped_column(String(80), default=None)
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=datetime.now, index=True)
