from __future__ import annotations

from sqlalchemy import Float, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from backoffice.orm import Base

FACILITY_TYPES = ("助餐", "日间照料", "养老院", "综合为老服务中心", "认知障碍照护")


class Facility(Base):
    """``beds`` (养老院, 认知障碍照护 only): [{level, total, free}]."""

    __tablename__ = "facility"
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
