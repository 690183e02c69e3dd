"""WeChat messages whose task never reached the broker (Redis was down when they were
recorded, or lost the task): ``queued``, never attempted, and older than a task normally
waits. Celery beat runs :func:`requeue_unsent` every minute (``wechat.requeue_unsent``), so
such a message goes out once the broker is back, in order per resident. The senders' claim
(``web/outbound/wechat_sender.py``) keeps a message that was only slow from going out twice.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from web.outbound.models import OutboundMessage
from web.outbound.service import Enqueue

STALE_AFTER = timedelta(minutes=2)
BATCH = 500  # rows per sweep; the next minute takes the rest


def requeue_unsent(sessions: sessionmaker, enqueue: Enqueue, older_than: timedelta = STALE_AFTER) -> int:
    """Queue the send tasks again for never-attempted WeChat messages; returns how many messages."""
    with sessions() as sess:
        db_now: datetime = sess.scalar(select(func.now()))  # created_at is the database's clock, not ours
        cutoff = db_now.replace(tzinfo=None) - older_than
        rows = sess.execute(select(OutboundMessage.id, OutboundMessage.recipient, OutboundMessage.kind).where(
            OutboundMessage.channel == "wechat", OutboundMessage.status == "queued", OutboundMessage.attempts == 0,
            OutboundMessage.created_at < cutoff).order_by(OutboundMessage.id).limit(BATCH)).all()
    texts: dict[str, list[int]] = {}
    for row_id, recipient, kind in rows:
        if kind == "template":
            enqueue("wechat.send_template", [row_id])
        else:
            texts.setdefault(recipient, []).append(row_id)
    for ids in texts.values():
        enqueue("wechat.send_texts", [ids, None])
    return len(rows)
