"""Cemeteries and columbaria, their gates, each gate's time slots on a day, bookings and the waiting list."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
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


class Cemetery(Base):
    """A cemetery (公墓) or columbarium (骨灰堂); ``companions_max``: how many may come with the booking resident."""

    __tablename__ = "cemetery"
    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    kind: Mapped[str] = mapped_column(String(10))  # 公墓 / 骨灰堂 / 陵园
    district_code: Mapped[str] = mapped_column(ForeignKey("district.code"), index=True)
    address: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str] = mapped_column(String(20))
    hours: Mapped[str] = mapped_column(String(120))
    aliases: Mapped[list] = mapped_column(default=list)
    companions_max: Mapped[int] = mapped_column(Integer)
    gates: Mapped[list[CemeteryGate]] = relationship(order_by="CemeteryGate.code", back_populates="cemetery")


class CemeteryGate(Base):
    """A gate visitors enter by; ``slots`` is its daily timetable on booking days: [{start, end, capacity}],
    capacity in visitors (the booking resident and their companions each take a place)."""

    __tablename__ = "cemetery_gate"
    code: Mapped[str] = mapped_column(String(24), primary_key=True)
    cemetery_code: Mapped[str] = mapped_column(ForeignKey("cemetery.code"), index=True)
    name: Mapped[str] = mapped_column(String(20))
    slots: Mapped[list] = mapped_column(default=list)
    cemetery: Mapped[Cemetery] = relationship(back_populates="gates")


class CemeterySlot(Base):
    """One gate's time slot on one day, created on its first booking. ``booked`` moves only by a conditional
    UPDATE (``booked + party <= capacity``); the CHECK constraint makes overbooking impossible."""

    __tablename__ = "cemetery_slot"
    __table_args__ = (
        UniqueConstraint("gate_code", "day", "start", name="uq_cemetery_slot_gate_day_start"),
        CheckConstraint("booked >= 0 AND booked <= capacity", name="booked_within_capacity"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    gate_code: Mapped[str] = mapped_column(ForeignKey("cemetery_gate.code"))
    day: Mapped[date] = mapped_column(Date)
    start: Mapped[str] = mapped_column(String(5))
    end: Mapped[str] = mapped_column(String(5))
    capacity: Mapped[int] = mapped_column(Integer)
    booked: Mapped[int] = mapped_column(Integer, default=0)
    capacity_by: Mapped[str] = mapped_column(String(40), default="")  # staff who set it; "": the timetable's


class CemeteryOpening(Base):
    """When booking a day opens, as the bureau announced it; a day without a row opens by the default rule
    (``opening`` in backoffice/seed/cemeteries.yaml)."""

    __tablename__ = "cemetery_opening"
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    opens_at: Mapped[datetime] = mapped_column(DateTime)  # Shanghai time, no zone
    announced_by: Mapped[str] = mapped_column(String(40), default="")


class CemeteryBooking(Base):
    """A visit booked by a verified resident for themself and ``companions`` others. ``active`` rows are unique
    per person and day, so the database itself refuses a second booking of the same day, even under concurrency."""

    __tablename__ = "cemetery_booking"
    __table_args__ = (
        Index(
            "ix_cemetery_booking_one_per_person_day",
            "id_number",
            "day",
            unique=True,
            postgresql_where=text("active"),
            sqlite_where=text("active"),
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str | None] = mapped_column(String(20), unique=True, default=None)  # set from the id
    openid: Mapped[str] = mapped_column(String(80), index=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("resident.id"), index=True)
    id_number: Mapped[str] = mapped_column(String(18))
    cemetery_code: Mapped[str] = mapped_column(ForeignKey("cemetery.code"), index=True)
    gate_code: Mapped[str] = mapped_column(ForeignKey("cemetery_gate.code"))
    day: Mapped[date] = mapped_column(Date, index=True)
    start: Mapped[str] = mapped_column(String(5))
    end: Mapped[str] = mapped_column(String(5))
    companions: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(10), default="booked")  # booked / cancelled / used
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    from_waitlist: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())
    used_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)  # checked in at the gate (Shanghai time)
    used_by: Mapped[str] = mapped_column(String(20), default="")  # the attendant who checked it in
    cemetery: Mapped[Cemetery] = relationship()
    gate: Mapped[CemeteryGate] = relationship()

    @property
    def people(self) -> int:
        return 1 + self.companions


class CemeteryAttendant(Base):
    """A gate attendant's check-in code, issued by staff for one cemetery until ``valid_until``: only a code of the
    booking's cemetery marks a booking used at the gate. The code itself is never stored, only its keyed digest
    (HMAC with the back-office's SECRET_KEY), which is how a typed code is found."""

    __tablename__ = "cemetery_attendant"
    id: Mapped[int] = mapped_column(primary_key=True)
    cemetery_code: Mapped[str] = mapped_column(ForeignKey("cemetery.code"), index=True)
    name: Mapped[str] = mapped_column(String(20))
    code_digest: Mapped[str] = mapped_column(String(64), unique=True)
    valid_until: Mapped[date] = mapped_column(Date)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    issued_by: Mapped[str] = mapped_column(String(40), default="")
    issued_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())


class CemeteryGateCheck(Base):
    """Every try to mark a booking used at the gate, right or wrong: the audit trail of check-ins (who, when, from
    where) and what limits guessing a code on one booking's page."""

    __tablename__ = "cemetery_gate_check"
    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("cemetery_booking.id"), index=True)
    attendant_id: Mapped[int | None] = mapped_column(ForeignKey("cemetery_attendant.id"), default=None)
    outcome: Mapped[str] = mapped_column(String(12))  # used / already_used / wrong_code / not_today / locked
    remote_addr: Mapped[str] = mapped_column(String(45), default="")
    at: Mapped[datetime] = mapped_column(DateTime)  # Shanghai time


class CemeteryWaiting(Base):
    """A place on a day's waiting list: cancelled places go to the entries in the order they joined. One live
    entry per person and day (``active``)."""

    __tablename__ = "cemetery_waiting"
    __table_args__ = (
        Index(
            "ix_cemetery_waiting_one_per_person_day",
            "id_number",
            "day",
            unique=True,
            postgresql_where=text("active"),
            sqlite_where=text("active"),
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str | None] = mapped_column(String(20), unique=True, default=None)
    openid: Mapped[str] = mapped_column(String(80), index=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("resident.id"), index=True)
    id_number: Mapped[str] = mapped_column(String(18))
    cemetery_code: Mapped[str] = mapped_column(ForeignKey("cemetery.code"))
    day: Mapped[date] = mapped_column(Date)
    companions: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(10), default="waiting")  # waiting / booked / cancelled
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    booking_number: Mapped[str] = mapped_column(String(20), default="")  # the booking it became
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())
    cemetery: Mapped[Cemetery] = relationship()


Index("ix_cemetery_waiting_queue", CemeteryWaiting.cemetery_code, CemeteryWaiting.day, CemeteryWaiting.status)
