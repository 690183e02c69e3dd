from __future__ import annotations

from sqlalchemy import Float, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backoffice.orm import Base


class District(Base):
    __tablename__ = "district"
    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)
    aliases: Mapped[list] = mapped_column(default=list)
    lat: Mapped[float] = mapped_column(Float)
    lng: Mapped[float] = mapped_column(Float)
    streets: Mapped[list[Street]] = relationship(back_populates="district", order_by="Street.code")


class Street(Base):
    """A 街道 or 镇, with its 社区事务受理服务中心 and 社区救助顾问."""

    __tablename__ = "street"
    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    district_code: Mapped[str] = mapped_column(ForeignKey("district.code"), index=True)
    name: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(4))
    aliases: Mapped[list] = mapped_column(default=list)
    lat: Mapped[float] = mapped_column(Float)
    lng: Mapped[float] = mapped_column(Float)
    service_center: Mapped[dict] = mapped_column(default=dict)
    advisor_name: Mapped[str] = mapped_column(String(20), default="")
    advisor_phone: Mapped[str] = mapped_column(String(20), default="")
    district: Mapped[District] = relationship(back_populates="streets")
    communities: Mapped[list[Community]] = relationship(back_populates="street", order_by="Community.code")
    landmarks: Mapped[list[Landmark]] = relationship(back_populates="street")


class Community(Base):
    __tablename__ = "community"
    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    street_code: Mapped[str] = mapped_column(ForeignKey("street.code"), index=True)
    name: Mapped[str] = mapped_column(String(40))
    aliases: Mapped[list] = mapped_column(default=list)
    lat: Mapped[float] = mapped_column(Float)
    lng: Mapped[float] = mapped_column(Float)
    street: Mapped[Street] = relationship(back_populates="communities")


class Landmark(Base):
    __tablename__ = "landmark"
    id: Mapped[int] = mapped_column(primary_key=True)
    street_code: Mapped[str] = mapped_column(ForeignKey("street.code"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    lat: Mapped[float] = mapped_column(Float)
    lng: Mapped[float] = mapped_column(Float)
    street: Mapped[Street] = relationship(back_populates="landmarks")
