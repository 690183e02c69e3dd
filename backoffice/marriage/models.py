from __future__ import annotations

from sqlalchemy import Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from backoffice.orm import Base


class Office(Base):
    """A registration office; ``slots`` is the daily timetable: [{start, end, capacity}]."""

    __tablename__ = "office"
    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    district_code: Mapped[str] = mapped_column(ForeignKey("district.code"), index=True)
    address: Mapped[str] = mapped_column(String(120))
    lat: Mapped[float] = mapped_column(Float)
    lng: Mapped[float] = mapped_column(Float)
    phone: Mapped[str] = mapped_column(String(20))
    hours: Mapped[str] = mapped_column(String(120))
    services: Mapped[list] = mapped_column(default=list)
    slots: Mapped[list] = mapped_column(default=list)
    peak_extra_capacity: Mapped[int] = mapped_column(Integer, default=0)
