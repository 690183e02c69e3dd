"""The on-call route's tables: who is on call and when (the rota), and each alert sent to them.

The rota is two tables an administrator edits at ``/admin/oncall``: ``oncall_worker`` (a
person and their phone; with an ``escalation_rank`` they are on the escalation list) and
``oncall_shift`` (a weekly recurring shift of one worker). An alert keeps a copy of the people
it is to reach (``targets``), so a rota edited meanwhile changes nothing about an alert under way.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from web.orm import Base

ACTIVE = ("pending", "escalated")  # still being sent: to the first person, or to a later one


class OncallWorker(Base):
    """A person who can be called out after hours. ``escalation_rank`` 1, 2 … puts them on the
    escalation list, in that order (tried when the person on call cannot be reached)."""

    __tablename__ = "oncall_worker"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    phone: Mapped[str] = mapped_column(String(20))
    role: Mapped[str] = mapped_column(String(40), default="")  # e.g. 值班社工, 值班科长
    escalation_rank: Mapped[int | None] = mapped_column(Integer, default=None)
    shifts: Mapped[list[OncallShift]] = relationship(
        back_populates="worker", cascade="all, delete-orphan", order_by="OncallShift.id"
    )


class OncallShift(Base):
    """A weekly recurring shift: on ``days`` (comma separated: mon … sun, holiday) from ``starts``
    to ``ends``, local time. ``ends`` at or before ``starts`` means the next morning (17:00–09:00;
    09:00–09:00 is 24 hours); ``24:00`` is midnight."""

    __tablename__ = "oncall_shift"
    id: Mapped[int] = mapped_column(primary_key=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("oncall_worker.id", ondelete="CASCADE"), index=True)
    days: Mapped[str] = mapped_column(String(60))
    starts: Mapped[str] = mapped_column(String(5))  # "17:00"
    ends: Mapped[str] = mapped_column(String(5))  # "09:00" (the next morning)
    worker: Mapped[OncallWorker] = relationship(back_populates="shifts")

    @property
    def day_list(self) -> list[str]:
        return [d for d in self.days.split(",") if d]


class OncallAlert(Base):
    """One urgent after-hours case sent to the on-call chain. ``status``: pending (trying the first
    person), escalated (trying a later one), sent (``targets[step]`` was reached), failed (nobody
    could be reached: the desk must phone the resident itself)."""

    __tablename__ = "oncall_alert"
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("handoff_ticket.id"), index=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversation.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))  # suicidal, violence …
    summary: Mapped[str] = mapped_column(Text, default="")  # masked (common.masking.mask_text)
    targets: Mapped[list] = mapped_column(default=list)  # [{"name", "phone", "role"}]: on call first, then escalation
    step: Mapped[int] = mapped_column(Integer, default=0)  # the target being tried (or reached)
    step_attempts: Mapped[int] = mapped_column(Integer, default=0)  # calls to that target so far
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # calls to the gateway, all targets
    status: Mapped[str] = mapped_column(String(10), default="pending", index=True)
    last_error: Mapped[str | None] = mapped_column(String(200), default=None)
    gateway_id: Mapped[str | None] = mapped_column(String(64), default=None)  # the gateway's id of the sent alert
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)  # due (or claimed until)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    failed_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    calls: Mapped[list[OncallCall]] = relationship(back_populates="alert", order_by="OncallCall.id")

    @property
    def target(self) -> dict:
        """The person being tried, or the one reached."""
        return self.targets[min(self.step, len(self.targets) - 1)] if self.targets else {}


class OncallCall(Base):
    """One call to the gateway for an alert: to whom, when, and what the gateway answered."""

    __tablename__ = "oncall_call"
    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("oncall_alert.id"), index=True)
    step: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime] = mapped_column(DateTime)
    ok: Mapped[bool] = mapped_column(default=False)
    error: Mapped[str | None] = mapped_column(String(200), default=None)  # e.g. "1001 invalid number"
    alert: Mapped[OncallAlert] = relationship(back_populates="calls")
