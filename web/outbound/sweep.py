"""WeChat messages whose sending task is gone: Celery beat runs :func:`requeue_unsent` every
minute (``wechat.requeue_unsent``) and queues their tasks again, texts per resident in id order.

* never attempted and older than a task normally waits (``STALE_AFTER``): Redis was down
  when the message was recorded, or lost the task;
* stalled (``STALLED_AFTER``, longer than every retry of a task together): still ``queued``
  for a retry whose task was lost.

A message left ``sending`` that long had a worker die mid-call: WeChat may have delivered it,
so it becomes ``in_doubt`` and is not sent again (web/outbound/doubt.py: a person decides).

The senders' claim (``web/outbound/wechat_sender.py``) keeps a message that was only slow
from going out twice. Campaign messages are not this sweep's: their sender recovers its own
claims, with the consent, cap and quiet-hour checks that go with them (web/policy/delivery.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import sessionmaker

from web.outbound.models import IN_DOUBT, OutboundMessage
from web.outbound.service import Enqueue

STALE_AFTER = timedelta(minutes=2)
STALLED_AFTER = timedelta(minutes=10)  # retries wait 5 + 30 + 120 s, each call at most ~40 s
CAMPAIGN = "campaign"  # the reason web/policy/delivery.py records its messages under
BATCH = 500  # rows per sweep; the next minute takes the rest


def requeue_unsent(
    sessions: sessionmaker,
    enqueue: Enqueue,
    stale_after: timedelta = STALE_AFTER,
    stalled_after: timedelta = STALLED_AFTER,
) -> int:
    """Queue the send tasks again for WeChat messages nothing will send; returns how many messages."""
    m = OutboundMessage
    with sessions.begin() as sess:
        db_now: datetime = sess.scalar(select(func.now()))  # the rows' times are the database's clock, not ours
        now = db_now.replace(tzinfo=None)
        stalled = m.last_attempt_at < now - stalled_after
        rows = sess.execute(
            select(m.id, m.recipient, m.kind)
            .where(
                m.channel == "wechat",
                m.reason != CAMPAIGN,
                or_(
                    and_(m.status == "queued", m.attempts == 0, m.created_at < now - stale_after),
                    and_(m.status == "queued", m.attempts > 0, stalled),
                ),
            )
            .order_by(m.id)
            .limit(BATCH)
        ).all()
        sess.execute(
            update(m)
            .where(m.channel == "wechat", m.reason != CAMPAIGN, m.status == "sending", stalled)
            .values(status=IN_DOUBT, errmsg="in doubt: the sending worker stopped mid-call")
        )
    texts: dict[str, list[int]] = {}
    for row_id, recipient, kind in rows:
        if kind == "template":
            enqueue("wechat.send_template", [row_id])
        elif kind == "notice":  # a subscription notice (web/subscriptions/send.py)
            enqueue("wechat.send_notice", [row_id])
        else:
            texts.setdefault(recipient, []).append(row_id)
    for resident_ids in texts.values():
        enqueue("wechat.send_texts", [resident_ids, None])
    return len(rows)
