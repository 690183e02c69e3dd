"""Which outbound rows the minutely sweep queues again (web/outbound/sweep.py), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from common.db import make_engine
from common.migrate import upgrade
from web.outbound import sweep
from web.outbound.models import OutboundMessage


def test_only_wechat_messages_nothing_will_send_are_queued_again(db_url):
    upgrade("platform", db_url)
    sessions = sessionmaker(make_engine(db_url))
    with sessions.begin() as sess:
        now = sess.scalar(select(func.now())).replace(tzinfo=None)

        def row(recipient: str, minutes_old: float, **kw) -> None:
            values = {
                "channel": "wechat",
                "kind": "text",
                "reason": "agent",
                "body": {"content": "您好"},
                "status": "queued",
                "created_at": now - timedelta(minutes=minutes_old),
                **kw,
            }
            sess.add(OutboundMessage(recipient=recipient, **values))

        row("oLost", 3)  # its task never reached the broker
        row("oLost", 3, kind="template", body={"template_id": "TPL_x"})
        row("oLost", 3)
        row("oFresh", 0.5)  # its task may still be on its way
        row("oRetrying", 3, attempts=1, last_attempt_at=now - timedelta(minutes=1))  # waiting for its retry
        row("oStalled", 30, attempts=1, last_attempt_at=now - timedelta(minutes=11))  # its retry task was lost
        row("oDead", 30, status="sending", attempts=1, last_attempt_at=now - timedelta(minutes=11))  # worker died
        row("oBusy", 30, status="sending", attempts=1, last_attempt_at=now - timedelta(seconds=5))  # being sent now
        row("oSent", 30, status="sent", attempts=1, last_attempt_at=now - timedelta(minutes=29))
        row("oCampaign", 30, reason="campaign")  # the campaign sender's own
        row("web:abc", 30, channel="web")
    queued: list[tuple[str, list]] = []
    assert sweep.requeue_unsent(sessions, lambda task, args: queued.append((task, args))) == 4
    with sessions() as sess:
        rows = sess.scalars(select(OutboundMessage).order_by(OutboundMessage.id)).all()
    ids = {(r.recipient, r.kind, r.status): r.id for r in rows}
    lost = [r.id for r in rows if r.recipient == "oLost" and r.kind == "text"]
    assert queued == [
        ("wechat.send_template", [ids[("oLost", "template", "queued")]]),
        ("wechat.send_texts", [lost, None]),
        ("wechat.send_texts", [[ids[("oStalled", "text", "queued")]], None]),
    ]
    # a worker that died mid-call may have delivered it: in doubt, never sent again (docs/security.md, 6)
    assert ("oDead", "text", "in_doubt") in ids
    assert ("oBusy", "text", "sending") in ids
