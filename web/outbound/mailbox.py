"""The web chat's mailbox: what was delivered to a web resident outside a request (an agent's
answer, a notification), read by the chat page's polling.

It is the conversation's ``outbound_message`` rows (channel ``web``) after the last id the page
has seen: the database's own record, so nothing is lost while Redis is down, and retention
clears it with the rest (web/retention).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from web.outbound.models import OutboundMessage


class Mailbox:
    def __init__(self, sessions: sessionmaker) -> None:
        self.sessions = sessions

    def after(self, sender_id: str, last_id: int | None, limit: int = 50) -> list[tuple[int, dict[str, Any]]]:
        m = OutboundMessage
        with self.sessions() as sess:
            rows = sess.execute(
                select(m.id, m.body)
                .where(m.channel == "web", m.recipient == sender_id, m.id > (last_id or 0))
                .order_by(m.id)
                .limit(limit)
            ).all()
        return [(row_id, dict(body)) for row_id, body in rows]
