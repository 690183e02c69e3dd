"""Eldercare: facilities (助餐, 日间照料, 养老院 …), allowances, schemes and applications."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column

from backoffice.orm import Base

FACILITY_TYPES = ("助餐", "日间照料", "养老院", "综合为老服务中心", "认知障碍照护")
TYPES_WITH_BEDS = ("养老院", "认知障碍照护")


class Facility(Base):
    """``beds`` (养老院, 认知障碍照护 only): [{level, total, free}]; ``free_beds`` is their sum, kept in step on flush
    so the nearest search can put places with a free bed first without reading JSON."""

    __tablename__ = "facility"
    __table_args__ = (Index("ix_facility_type_lat_lng", "type", "lat", "lng"),)
    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    type: Mapped[str] = mapped_column(String(12), index=True)
    name: Mapped[str] = mapped_column(String(80))
    district_code: Mapped[str] = mapped_column(ForeignKey("district.code"), index=True)
    street_code: Mapped[str] = mapped_column(ForeignKey("street.code"), index=True)
    address: Mapped[str] = mapped_column(String(120))
    lat: Mapped[float] = mapped_column(Float, index=True)
    lng: Mapped[float] = mapped_column(Float)
    phone: Mapped[str] = mapped_column(String(20))
    hours: Mapped[str] = mapped_column(String(120))
    services: Mapped[list] = mapped_column(default=list)
    price: Mapped[str] = mapped_column(String(120), default="")
    beds: Mapped[list] = mapped_column(default=list)
    free_beds: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


def count_free(beds: list) -> int:
    return sum(max(int(b.get("free", 0)), 0) for b in beds or [])


@event.listens_for(Facility, "before_insert")
@event.listens_for(Facility, "before_update")
def _sum_free_beds(_mapper, _conn, target: Facility) -> None:
    target.free_beds = count_free(target.beds)


class EldercareAllowance(Base):
    """One age band of an old-age allowance in one district (高龄津贴 / 老年综合津贴), yuan per month.

    ``benefit_names`` are the names the resident registry uses for it (``Resident.benefits``)."""

    __tablename__ = "eldercare_allowance"
    __table_args__ = (UniqueConstraint("district_code", "kind", "age_min", name="uq_eldercare_allowance_band"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    district_code: Mapped[str] = mapped_column(ForeignKey("district.code"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    age_min: Mapped[int] = mapped_column(Integer)
    age_max: Mapped[int | None] = mapped_column(Integer, nullable=True)
    monthly_amount: Mapped[int] = mapped_column(Integer)
    benefit_names: Mapped[list] = mapped_column(default=list)
    conditions: Mapped[str] = mapped_column(Text, default="")
    documents: Mapped[list] = mapped_column(default=list)
    how_to_apply: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(200), default="")


class EldercareScheme(Base):
    """A described eldercare scheme (养老服务补贴, 长护险, 适老化改造) for one district or, with district "", all.

    ``details`` holds the scheme's own structure: 长护险 ``levels``, 适老化改造 ``items`` and ``subsidies``."""

    __tablename__ = "eldercare_scheme"
    key: Mapped[str] = mapped_column(String(30), primary_key=True)
    district_code: Mapped[str] = mapped_column(String(12), primary_key=True, default="")
    title: Mapped[str] = mapped_column(String(60))
    summary: Mapped[str] = mapped_column(Text)
    eligibility: Mapped[str] = mapped_column(Text, default="")
    documents: Mapped[list] = mapped_column(default=list)
    how_to_apply: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict] = mapped_column(default=dict)
    source: Mapped[str] = mapped_column(String(200), default="")


APPLICATION_KINDS = ("ltc_assessment", "home_retrofit")


class EldercareApplication(Base):
    """An application made through the assistant: a 长护险 assessment or a 适老化改造.

    ``history`` is [{status, at, note}] so progress can be told step by step."""

    __tablename__ = "eldercare_application"
    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(24), unique=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    idempotency_key: Mapped[str] = mapped_column(String(100), unique=True)
    openid: Mapped[str] = mapped_column(String(64), index=True)
    applicant_id: Mapped[int] = mapped_column(ForeignKey("resident.id"))
    subject_id: Mapped[int] = mapped_column(ForeignKey("resident.id"), index=True)
    district_code: Mapped[str] = mapped_column(ForeignKey("district.code"))
    status: Mapped[str] = mapped_column(String(20))
    level: Mapped[int | None] = mapped_column(Integer, nullable=True)
    subsidy: Mapped[dict] = mapped_column(default=dict)
    history: Mapped[list] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
