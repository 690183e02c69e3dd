"""One row per stored file: whose, which application it belongs to, what it is, where it lies."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Index, Integer, String, func
from sqlalchemy.orm import Mapped, mapped_column

from web.orm import Base


class Document(Base):
    """``application_kind``/``application_id`` and ``kind`` are empty while the resident has not
    yet said which document it is (the numbered question); ``scan``: ``clean``, ``not_scanned``
    (no scanner configured) or ``scan_failed`` (the scanner could not be reached: kept, shown so)."""

    __tablename__ = "document"
    id: Mapped[int] = mapped_column(primary_key=True)
    sender_id: Mapped[str] = mapped_column(String(128), index=True)  # the conversation it came in
    channel: Mapped[str] = mapped_column(String(16))
    application_kind: Mapped[str | None] = mapped_column(String(32), default=None)
    application_id: Mapped[str | None] = mapped_column(String(64), default=None)
    application_title: Mapped[str] = mapped_column(String(80), default="")
    kind: Mapped[str | None] = mapped_column(String(32), default=None)
    kind_name: Mapped[str] = mapped_column(String(40), default="")
    storage_key: Mapped[str] = mapped_column(String(128), unique=True)
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    scan: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now(), index=True)
    attached_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)

    __table_args__ = (Index("ix_document_application", "application_kind", "application_id"),)
