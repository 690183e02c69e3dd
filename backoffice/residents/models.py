from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Integer, String, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backoffice.orm import Base


class Household(Base):
    """Income and assets are monthly yuan figures as declared or verified (经济状况核对)."""

    __tablename__ = "household"
    id: Mapped[int] = mapped_column(primary_key=True)
    community_code: Mapped[str] = mapped_column(ForeignKey("community.code"), index=True)
    address: Mapped[str] = mapped_column(String(120))
    monthly_income: Mapped[int] = mapped_column(Integer, default=0)
    savings: Mapped[int] = mapped_column(Integer, default=0)
    vehicles: Mapped[int] = mapped_column(Integer, default=0)
    homes: Mapped[int] = mapped_column(Integer, default=1)
    # Residents whose household_id is this one: kept by the database's triggers on ``resident``
    # (migration bo_residents_0002), never written here; the campaigns compare per person with it.
    member_count: Mapped[int] = mapped_column(Integer, server_default="0")
    members: Mapped[list[Resident]] = relationship(back_populates="household", order_by="Resident.id")


class Resident(Base):
    __tablename__ = "resident"
    id: Mapped[int] = mapped_column(primary_key=True)
    id_number: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(20))
    gender: Mapped[str] = mapped_column(String(1))  # 男 / 女
    birth_date: Mapped[date] = mapped_column(Date)
    phone: Mapped[str] = mapped_column(String(11), default="")
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), index=True)
    relation: Mapped[str] = mapped_column(String(8), default="户主")  # to the head of household
    hukou_district_code: Mapped[str] = mapped_column(ForeignKey("district.code"), index=True)
    hukou_community_code: Mapped[str] = mapped_column(ForeignKey("community.code"), index=True)
    disability_grade: Mapped[int] = mapped_column(Integer, default=0)  # 0 = none, 1..4
    disability_category: Mapped[str] = mapped_column(String(4), default="", server_default="")  # 视力 … 多重
    living_alone: Mapped[bool] = mapped_column(Boolean, default=False)
    benefits: Mapped[list] = mapped_column(default=list)  # e.g. ["低保", "高龄津贴"]
    # The least openid of the resident's WeChat bindings (those without an end), the one a campaign pushes
    # to: kept by the database's triggers on ``wechat_binding`` (migration bo_residents_0003), never written here.
    openid: Mapped[str | None] = mapped_column(String(64))
    household: Mapped[Household] = relationship(back_populates="members")


class WechatBinding(Base):
    """A channel sender (a WeChat openid, a signed-in web chat page) verified as belonging to a resident
    (实名绑定). A WeChat binding lasts until it is unbound; a web page's ends at ``expires_at``."""

    __tablename__ = "wechat_binding"
    openid: Mapped[str] = mapped_column(String(64), primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("resident.id"), index=True)
    bound_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())
    expires_at: Mapped[datetime | None] = mapped_column(DateTime, index=True, default=None)
