"""The handoff desk's own tables: agents and groups, queue tickets, notes, canned replies,
administrator-configured handoff rules (the audit log is every staff page's: web/admin/audit.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from web.conversations.models import Conversation
from web.orm import Base

ROLES = ("agent", "supervisor", "admin")
PRIORITY_RANK = {"urgent": 0, "normal": 1}


class AgentGroup(Base):
    """A team of agents (e.g. 社会救助组); a ticket routed to a group is visible to its members only."""

    __tablename__ = "agent_group"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)


class Agent(Base):
    """A console account. ``role``: agent, supervisor or admin."""

    __tablename__ = "agent"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(40), unique=True)
    display_name: Mapped[str] = mapped_column(String(40))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(12), default="agent")
    group_id: Mapped[int | None] = mapped_column(ForeignKey("agent_group.id"), default=None)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    last_seen_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())
    group: Mapped[AgentGroup | None] = relationship()

    # Flask-Login's user protocol
    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        return str(self.id)

    @property
    def sees_everything(self) -> bool:
        return self.role in ("supervisor", "admin")


class Ticket(Base):
    """One handoff of one conversation: waiting in the queue, active with an agent, or closed."""

    __tablename__ = "handoff_ticket"
    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversation.id"), index=True)
    reason: Mapped[str] = mapped_column(String(40))
    priority: Mapped[str] = mapped_column(String(8), default="normal")
    rank: Mapped[int] = mapped_column(Integer, default=1)  # PRIORITY_RANK: the queue sorts on it first
    status: Mapped[str] = mapped_column(String(8), default="waiting", index=True)  # waiting, active, closed
    group_id: Mapped[int | None] = mapped_column(ForeignKey("agent_group.id"), default=None)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agent.id"), default=None)
    after_hours: Mapped[bool] = mapped_column(Boolean, default=False)  # a message was taken instead
    callback_phone: Mapped[str | None] = mapped_column(String(20), default=None)
    told_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)  # the resident last told their place
    queued_at: Mapped[datetime] = mapped_column(DateTime)
    sla_due_at: Mapped[datetime] = mapped_column(DateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    outcome: Mapped[str | None] = mapped_column(String(24), default=None)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("agent.id"), default=None)
    conversation: Mapped[Conversation] = relationship()
    agent: Mapped[Agent | None] = relationship(foreign_keys=[agent_id])
    group: Mapped[AgentGroup | None] = relationship()
    notes: Mapped[list[Note]] = relationship(back_populates="ticket", order_by="Note.id")

    @property
    def open(self) -> bool:
        return self.status != "closed"


class Note(Base):
    """An internal note on a ticket: seen by agents, never by the resident."""

    __tablename__ = "handoff_note"
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("handoff_ticket.id"), index=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agent.id"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())
    ticket: Mapped[Ticket] = relationship(back_populates="notes")
    agent: Mapped[Agent] = relationship()


class CannedReply(Base):
    """A ready-made answer agents insert into a reply; supervisors and admins edit them."""

    __tablename__ = "canned_reply"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(Text)


class HandoffRule(Base):
    """An administrator's rule: a resident message containing one of ``keywords`` (comma
    separated) goes straight to the queue with ``priority``, to ``group`` if set."""

    __tablename__ = "handoff_rule"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)
    keywords: Mapped[str] = mapped_column(Text)
    priority: Mapped[str] = mapped_column(String(8), default="normal")
    group_id: Mapped[int | None] = mapped_column(ForeignKey("agent_group.id"), default=None)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    group: Mapped[AgentGroup | None] = relationship()

    def keyword_list(self) -> list[str]:
        return split_keywords(self.keywords)


def split_keywords(keywords: str) -> list[str]:
    """A rule's comma-separated keywords (full-width commas too), blanks dropped."""
    return [k.strip() for k in keywords.replace("，", ",").split(",") if k.strip()]


class WorkingHours(Base):
    """When agents are at the desk. ``day``: mon … sun, or ``holiday`` for statutory public
    holidays (no row: closed). A weekend working day (调休) takes Monday's hours."""

    __tablename__ = "working_hours"
    day: Mapped[str] = mapped_column(String(8), primary_key=True)
    opens: Mapped[str] = mapped_column(String(5))  # "09:00"
    closes: Mapped[str] = mapped_column(String(5))  # "17:00"; "24:00" for midnight
