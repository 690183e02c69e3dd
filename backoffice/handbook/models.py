"""Handbook entries: one answer each, tied to its source document."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from backoffice.orm import Base


class HandbookEntry(Base):
    """``topic`` is the faq retrieval key (funeral, disability …) or another domain's name (marriage, assistance);
    ``district_code`` empty means the whole region. ``updated_by`` is "seed" until an administrator edits the entry,
    after which re-seeding leaves it alone. ``version`` counts edits (the search index watches it)."""

    __tablename__ = "handbook_entry"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    topic: Mapped[str] = mapped_column(String(30), index=True)
    title: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text)
    conditions: Mapped[str] = mapped_column(Text, default="")
    how_to_apply: Mapped[str] = mapped_column(Text, default="")
    documents: Mapped[list] = mapped_column(default=list)
    contact: Mapped[str] = mapped_column(String(300), default="")
    source: Mapped[str] = mapped_column(String(300))
    effective_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    district_code: Mapped[str | None] = mapped_column(ForeignKey("district.code"), nullable=True, index=True)
    keywords: Mapped[list] = mapped_column(default=list)
    next_step: Mapped[str] = mapped_column(String(300), default="")
    updated_by: Mapped[str] = mapped_column(String(40), default="seed")
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)
