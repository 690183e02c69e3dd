"""The ``rating`` side effect: the bot's 好差评 form finished; record it here.

Payload: ``{"level": 1-5, "task": "<what was rated>", "comment": "..."}`` (actions/feedback.py).
Registered with the router's side effects in web/services.py, which also gives it how to
record the analytics event (``record``: web.analytics.recording.record; analytics reads
feedback's rating scale, so feedback does not import analytics).
"""

from __future__ import annotations

import logging
from datetime import datetime, time
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from web.conversations.models import Conversation
from web.feedback.models import FOLLOW_UP_AT_OR_BELOW, LEVELS, Rating

log = logging.getLogger(__name__)


class RecordEvent(Protocol):
    def __call__(self, sess: Session, kind: str, conversation_id: int, **fields: Any) -> None: ...


def record_rating(sess: Session, conv: Conversation, payload: dict[str, Any], *, record: RecordEvent) -> None:
    try:
        level = int(payload.get("level"))
    except (TypeError, ValueError):
        level = 0
    if level not in LEVELS:
        log.warning("rating without a valid level", extra={"conversation": conv.id})
        return
    if conv.handoff_priority == "urgent":  # a sensitive conversation is never asked, nor counted
        return
    today = datetime.combine(datetime.now().date(), time.min)
    if sess.scalar(select(Rating.id).where(Rating.conversation_id == conv.id, Rating.created_at >= today)):
        return  # once per conversation (a resident's day, as in analytics)
    task = str(payload.get("task") or "service")[:40]
    comment = str(payload.get("comment") or "").strip()[:1000] or None
    sess.add(
        Rating(
            conversation_id=conv.id,
            task=task,
            level=level,
            comment=comment,
            follow_up="open" if level <= FOLLOW_UP_AT_OR_BELOW else None,
        )
    )
    record(sess, "rating", conv.id, channel=conv.channel, flow=task, value=level)
