"""The audit log: every view of a resident's data, every reveal, every sign-in."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_login import current_user
from sqlalchemy.orm import Session

from web.handoff.models import Agent, AuditEntry


def audit(
    sess: Session, action: str, conversation_id: int | None = None, agent: Agent | None = None, **detail: Any
) -> None:
    """Add an entry in the caller's transaction (committed with what it records)."""
    who = agent if agent is not None else (current_user if current_user.is_authenticated else None)
    sess.add(
        AuditEntry(
            agent_id=who.id if who is not None else None,
            action=action,
            conversation_id=conversation_id,
            detail=detail,
            remote_addr=(request.remote_addr or "")[:45],
        )
    )
