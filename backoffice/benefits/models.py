from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backoffice.orm import Base

# Where a case may go from each status; 退回 and 不予批准 need a reason.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "受理": ("审核", "退回"),
    "审核": ("审批", "退回", "不予批准"),
    "审批": ("发放", "不予批准"),
    "退回": ("受理",),
    "发放": (),
    "不予批准": (),
}
NEEDS_REASON = frozenset({"退回", "不予批准"})
OPEN = ("受理", "审核", "审批", "退回")


class BenefitApplication(Base):
    """One application for a funeral benefit or a disability subsidy.

    ``subject_key`` names who it is for, so one person has one open (or granted) case per programme: the
    deceased's ID number for funeral benefits, ``resident:<id>`` for a disability subsidy. ``facts`` are what
    the estimate used (declared for funeral benefits, read from the registry for disability); ``estimate`` is
    its answer (eligible, amount or monthly, reasons); ``required_documents`` the kinds to bring, as codes."""

    __tablename__ = "benefit_application"
    __table_args__ = (Index("ix_benefit_application_subject", "programme", "subject_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    case_no: Mapped[str | None] = mapped_column(String(20), unique=True)
    idempotency_key: Mapped[str] = mapped_column(String(80), unique=True)
    programme: Mapped[str] = mapped_column(String(20))
    subject_key: Mapped[str] = mapped_column(String(40))
    subject_resident_id: Mapped[int | None] = mapped_column(ForeignKey("resident.id"), index=True)
    subject_name: Mapped[str] = mapped_column(String(20))
    relation: Mapped[str] = mapped_column(String(8))  # who it is for, to the resident who applied: 本人, 父亲 …
    details: Mapped[dict] = mapped_column(default=dict)  # funeral: the deceased's ID number and date of death
    facts: Mapped[dict] = mapped_column(default=dict)
    estimate: Mapped[dict] = mapped_column(default=dict)
    required_documents: Mapped[list] = mapped_column(default=list)
    district_code: Mapped[str] = mapped_column(String(12))
    phone: Mapped[str] = mapped_column(String(11), default="")
    submitted_by_openid: Mapped[str | None] = mapped_column(String(80))
    submitted_by_resident_id: Mapped[int] = mapped_column(ForeignKey("resident.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16), default="")
    status: Mapped[str] = mapped_column(String(8), default="受理")
    status_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())
    history: Mapped[list[BenefitStatusEvent]] = relationship(
        back_populates="application", order_by="BenefitStatusEvent.id"
    )


class BenefitStatusEvent(Base):
    __tablename__ = "benefit_status_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("benefit_application.id"), index=True)
    status: Mapped[str] = mapped_column(String(8))
    reason: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())
    application: Mapped[BenefitApplication] = relationship(back_populates="history")
