from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backoffice.orm import Base

SERVICES = ("结婚", "离婚", "补领")
DIVORCE_STAGES = ("申请", "领证")


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


class MarriageSlot(Base):
    """One time slot of one office on one day, created on its first booking.

    ``booked`` is moved only by a conditional UPDATE (``booked < capacity``); the CHECK
    constraint makes overbooking impossible even for a faulty caller.
    """

    __tablename__ = "marriage_slot"
    __table_args__ = (
        UniqueConstraint("office_code", "day", "start", name="uq_marriage_slot_office_day_start"),
        CheckConstraint("booked >= 0 AND booked <= capacity", name="booked_within_capacity"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    office_code: Mapped[str] = mapped_column(ForeignKey("office.code"))
    day: Mapped[date] = mapped_column(Date)
    start: Mapped[str] = mapped_column(String(5))
    end: Mapped[str] = mapped_column(String(5))
    capacity: Mapped[int] = mapped_column(Integer)
    booked: Mapped[int] = mapped_column(Integer, default=0)


class MarriageClosure(Base):
    """A day an office (or, with no office, every office) does not register, besides public holidays."""

    __tablename__ = "marriage_closure"
    id: Mapped[int] = mapped_column(primary_key=True)
    office_code: Mapped[str | None] = mapped_column(ForeignKey("office.code"), index=True, default=None)
    day: Mapped[date] = mapped_column(Date, index=True)
    reason: Mapped[str] = mapped_column(String(60))


class MarriageAppointment(Base):
    """``stage`` is 申请 or 领证 for a divorce (the two visits around the cooling-off period), empty otherwise."""

    __tablename__ = "marriage_appointment"
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str | None] = mapped_column(String(20), unique=True, default=None)  # set from the id
    openid: Mapped[str] = mapped_column(String(80), index=True)
    office_code: Mapped[str] = mapped_column(ForeignKey("office.code"), index=True)
    service: Mapped[str] = mapped_column(String(4))
    stage: Mapped[str] = mapped_column(String(4), default="")
    day: Mapped[date] = mapped_column(Date)
    start: Mapped[str] = mapped_column(String(5))
    end: Mapped[str] = mapped_column(String(5))
    phone: Mapped[str] = mapped_column(String(11))
    status: Mapped[str] = mapped_column(String(10), default="booked")  # booked / cancelled / no_show
    application_day: Mapped[date | None] = mapped_column(Date, default=None)  # the divorce application a 领证 follows
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())
    # For staff: why the appointment needs them (its day became a holiday when the year's arrangement was
    # entered); "" when nothing does. Cleared when it moves to an open day.
    flag: Mapped[str] = mapped_column(String(120), default="", server_default="")
    office: Mapped[Office] = relationship()
    parties: Mapped[list[MarriageParty]] = relationship(
        back_populates="appointment", order_by="MarriageParty.position", cascade="all, delete-orphan"
    )


class MarriageParty(Base):
    """A person on an appointment. ``active`` rows are unique per person and kind of visit (``service_key``),
    so the database itself refuses a second live appointment of the same kind, even under concurrency."""

    __tablename__ = "marriage_party"
    __table_args__ = (
        Index(
            "ix_marriage_party_one_active_per_person",
            "id_number",
            "service_key",
            unique=True,
            postgresql_where=text("active"),
            sqlite_where=text("active"),
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("marriage_appointment.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(30))
    id_number: Mapped[str] = mapped_column(String(18), index=True)
    service_key: Mapped[str] = mapped_column(String(8))  # 结婚, 离婚申请, 离婚领证, 补领
    day: Mapped[date] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    appointment: Mapped[MarriageAppointment] = relationship(back_populates="parties")


class MarriageBookingRules(Base):
    """One office's booking rules, as an administrator set them; an office without a row keeps the defaults
    (``booking`` in backoffice/seed/marriage_calendar.yaml)."""

    __tablename__ = "marriage_booking_rules"
    office_code: Mapped[str] = mapped_column(ForeignKey("office.code"), primary_key=True)
    earliest_days_ahead: Mapped[int] = mapped_column(Integer)
    horizon_days: Mapped[int] = mapped_column(Integer)
    cutoff: Mapped[str] = mapped_column(String(5))  # "15:00": booking the earliest day closes then, the day before
    cancel_days_before: Mapped[int] = mapped_column(Integer)
    no_show_limit: Mapped[int] = mapped_column(Integer)
    no_show_period_days: Mapped[int] = mapped_column(Integer)
    no_show_ban_days: Mapped[int] = mapped_column(Integer)
    updated_by: Mapped[str] = mapped_column(String(40), default="")
    updated_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now(), onupdate=func.now())


class MarriageHolidayArrangement(Base):
    """The State Council's holiday arrangement for one year, as an administrator entered it.

    ``holidays``: [{"name", "first", "last"}] (ISO days); ``workdays``: the adjusted working days (ISO)."""

    __tablename__ = "marriage_holiday_arrangement"
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    holidays: Mapped[list] = mapped_column(default=list)
    workdays: Mapped[list] = mapped_column(default=list)
    entered_by: Mapped[str] = mapped_column(String(40), default="")
    entered_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now(), onupdate=func.now())
