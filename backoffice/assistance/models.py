from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backoffice.orm import Base

TYPES = ("低保", "特困供养", "临时救助", "医疗救助", "支出型贫困")
# Where a case may go from each status; 退回 and 不予批准 need a reason.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "受理": ("入户调查", "退回"),
    "入户调查": ("经济状况核对", "退回", "不予批准"),
    "经济状况核对": ("审核公示", "退回", "不予批准"),
    "审核公示": ("审批", "不予批准"),
    "审批": ("发放", "不予批准"),
    "退回": ("受理",),
    "发放": (),
    "不予批准": (),
}
NEEDS_REASON = frozenset({"退回", "不予批准"})


class Application(Base):
    """One application for social assistance; ``idempotency_key`` is the request that made it (one each)."""

    __tablename__ = "assistance_application"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_no: Mapped[str | None] = mapped_column(String(20), unique=True)
    idempotency_key: Mapped[str] = mapped_column(String(80), unique=True)
    type: Mapped[str] = mapped_column(String(8))
    applicant_id_number: Mapped[str] = mapped_column(String(18), index=True)
    applicant_resident_id: Mapped[int | None] = mapped_column(ForeignKey("resident.id"), index=True)
    relation: Mapped[str] = mapped_column(String(8))  # the applicant to the person applying: 本人, 母亲 …
    phone: Mapped[str] = mapped_column(String(11))
    community_code: Mapped[str] = mapped_column(ForeignKey("community.code"), index=True)
    hardship: Mapped[str] = mapped_column(Text)
    consent_at: Mapped[datetime] = mapped_column(DateTime)  # consent to the economic-status check
    submitted_by_openid: Mapped[str | None] = mapped_column(String(80))
    submitted_by_resident_id: Mapped[int | None] = mapped_column(ForeignKey("resident.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16), default="")
    status: Mapped[str] = mapped_column(String(8), default="受理")
    status_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())
    history: Mapped[list[StatusEvent]] = relationship(back_populates="application", order_by="StatusEvent.id")


class StatusEvent(Base):
    __tablename__ = "assistance_status_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("assistance_application.id"), index=True)
    status: Mapped[str] = mapped_column(String(8))
    reason: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())
    application: Mapped[Application] = relationship(back_populates="history")
