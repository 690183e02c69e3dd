"""Where the platform is in the back-office's change feed, and which changes it has told."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, DateTime, String, func
from sqlalchemy.orm import Mapped, mapped_column

from web.orm import Base

FEED = "backoffice_changes"


class FeedCursor(Base):
    """The id of the last change read from a feed; moved in the transaction that records what it read."""

    __tablename__ = "feed_cursor"
    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    position: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now(), onupdate=func.now())


class StatusUpdate(Base):
    """One change of the back-office's feed, told: the change's id is the key, so it is told once
    whatever happens to the cursor. ``channel``: web, cs, notice, template; ``outbound_id`` the first
    ``outbound_message`` written for it; ``template`` the template message that replaces a customer-service
    message WeChat refused."""

    __tablename__ = "status_update"
    change_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    domain: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))
    ref: Mapped[str] = mapped_column(String(24))
    recipient: Mapped[str] = mapped_column(String(80), index=True)
    channel: Mapped[str] = mapped_column(String(8))
    outbound_id: Mapped[int | None] = mapped_column(default=None)
    # For a customer-service message: the template message to send should WeChat refuse it (reader.rescue)
    template: Mapped[dict | None] = mapped_column(JSON, default=None)
    told_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())
