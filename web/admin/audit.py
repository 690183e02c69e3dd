"""The audit log: who looked at a resident's data or took it away (an export), who did what to a
conversation, an account or a campaign, and when.

One table and one function for every staff page (the console's and the admin pages') and the
command-line exports. It lives here, below the features, so that each of them can write to it;
the retention task keeps it for its own, longer period (web/retention/purge.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import DateTime, ForeignKey, String, func
from sqlalchemy.orm import Mapped, Session, mapped_column

from web.orm import Base


class AuditEntry(Base):
    """One audited act. ``agent_id``: the console account (none for a command-line export);
    ``detail``: what was touched, e.g. ``{"campaign": 3, "rows": 120}``."""

    __tablename__ = "audit_entry"
    id: Mapped[int] = mapped_column(primary_key=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agent.id"), default=None, index=True)
    action: Mapped[str] = mapped_column(String(32))
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversation.id"), default=None, index=True)
    detail: Mapped[dict] = mapped_column(default=dict)
    remote_addr: Mapped[str] = mapped_column(String(45), default="")
    at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now(), index=True)


class Account(Protocol):
    id: int


def audit(
    sess: Session, action: str, conversation_id: int | None = None, agent: Account | None = None, **detail: Any
) -> AuditEntry:
    """Add an entry in the caller's transaction (committed with what it records).

    Who: ``agent``, else the signed-in account of the request; none outside a request.
    """
    in_request = has_request_context()
    who = agent if agent is not None else (current_user if in_request and current_user.is_authenticated else None)
    entry = AuditEntry(
        agent_id=who.id if who is not None else None,
        action=action,
        conversation_id=conversation_id,
        detail=detail,
        remote_addr=(request.remote_addr or "")[:45] if in_request else "",
    )
    sess.add(entry)
    return entry
