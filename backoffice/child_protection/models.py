from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backoffice.orm import Base

# What a report is about (the platform's danger detector names them); the Chinese names are the case's.
KINDS = {
    "violence": "暴力伤害",
    "neglect": "无人照料",
    "abandonment": "遗弃",
    "no_food_or_money": "断粮断钱",
    "fall_or_collapse": "摔倒或昏倒",
    "suicidal": "轻生念头",
    "rough_sleeping": "露宿街头",
}
STATUSES = {"assigned": "已指派"}


class ChildProtectionWorker(Base):
    """Whom a case can be assigned to: a community's 儿童主任 (``community_code`` set), or the duty worker of a
    district's 未成年人保护工作站 (``community_code`` NULL, ``station`` named). ``takes_unlocated``: the station
    that also takes reports whose district nothing tells (seed/child_protection.yaml, ``unlocated_district``)."""

    __tablename__ = "child_protection_worker"
    id: Mapped[int] = mapped_column(primary_key=True)
    district_code: Mapped[str] = mapped_column(ForeignKey("district.code"), index=True)
    community_code: Mapped[str | None] = mapped_column(ForeignKey("community.code"), unique=True, default=None)
    station: Mapped[str] = mapped_column(String(60), default="")
    name: Mapped[str] = mapped_column(String(20))
    role: Mapped[str] = mapped_column(String(20))
    phone: Mapped[str] = mapped_column(String(20), default="")
    takes_unlocated: Mapped[bool] = mapped_column(Boolean, default=False)


class ChildProtectionCase(Base):
    """A report of a child at risk, made through the assistant. ``account`` is what the resident said, as they
    wrote it: sensitive, kept here for the worker and never logged unmasked. The assignee is the worker row the
    case went to when it was made, so a later change of staff does not rewrite whom it was given to."""

    __tablename__ = "child_protection_case"
    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(24), unique=True)
    kind: Mapped[str] = mapped_column(String(24), index=True)
    status: Mapped[str] = mapped_column(String(16))
    sender: Mapped[str] = mapped_column(String(80), index=True)
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("resident.id"), default=None)
    account: Mapped[str] = mapped_column(Text)
    conversation_url: Mapped[str] = mapped_column(String(500))
    reported_at: Mapped[datetime] = mapped_column(DateTime)  # naive UTC
    received_at: Mapped[datetime] = mapped_column(DateTime)  # naive UTC
    district_code: Mapped[str] = mapped_column(ForeignKey("district.code"), index=True)
    community_code: Mapped[str | None] = mapped_column(ForeignKey("community.code"), default=None)
    worker_id: Mapped[int] = mapped_column(ForeignKey("child_protection_worker.id"), index=True)
    worker: Mapped[ChildProtectionWorker] = relationship()
