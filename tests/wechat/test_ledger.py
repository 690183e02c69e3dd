"""The reply ledger's claim leases on the real Redis: held while the turn runs, gone with the process."""

from __future__ import annotations

import time
import uuid

from web.channels import dedupe
from web.channels.dedupe import ASYNC, PENDING, ReplyLedger


def test_a_claim_stays_held_while_its_process_lives_and_is_orphaned_when_it_does_not(redis_client):
    ledger = ReplyLedger(redis_client, prefix=f"t:{uuid.uuid4().hex}:", lease_prefix=f"t:{uuid.uuid4().hex}:")
    assert ledger.claim("m1") and not ledger.claim("m1")  # the first delivery only
    time.sleep(dedupe.LEASE + 1.5)  # longer than a lease: the heartbeat renewed it
    assert ledger.state("m1") == PENDING and not ledger.orphaned("m1")

    dead = ReplyLedger(redis_client, prefix=ledger.prefix, lease_prefix=ledger.lease_prefix)
    assert dead.claim("m2")
    with dead._lock:  # what a SIGKILL does to the heartbeat: it stops renewing
        dead._held.clear()
    time.sleep(dedupe.LEASE + 0.5)
    assert ledger.orphaned("m2") and not ledger.orphaned("m1")

    ledger.settle("m1", ASYNC)
    ledger.release("m1")
    assert not ledger.orphaned("m1")  # settled: answered, whatever happens to the process now


def test_a_reply_owed_by_a_dead_process_becomes_a_please_send_again(redis_client, db_url, monkeypatch):
    """WeChat already has `success`; the process that was to deliver the reply died. The periodic
    task finds the owed reply with no lease and queues the kind 'send it again' text."""
    from sqlalchemy import select
    from sqlalchemy.orm import sessionmaker

    from common.db import make_engine
    from common.migrate import upgrade
    from web import tasks
    from web.outbound import Outbound
    from web.outbound.models import OutboundMessage
    from web.texts import text as channel_text

    upgrade("platform", db_url)
    sessions = sessionmaker(make_engine(db_url))
    queued: list[tuple[str, list]] = []
    ledger = ReplyLedger(redis_client)
    outbound = Outbound(sessions, redis_client, enqueue=lambda task, args: queued.append((task, args)))
    monkeypatch.setattr(tasks, "_owed_parts", lambda: (ledger, outbound))
    monkeypatch.setattr(tasks, "OWED_AFTER", 0)
    dead, alive, done = ReplyLedger(redis_client), ReplyLedger(redis_client), ReplyLedger(redis_client)
    for ledger_, key, openid in ((dead, "msg:1", "oDead"), (alive, "msg:2", "oAlive"), (done, "msg:3", "oDone")):
        assert ledger_.claim(key) and ledger_.settle_async(key, openid) == PENDING
    done.release("msg:3", paid_to="oDone")
    with dead._lock:  # SIGKILL: no more heartbeats
        dead._held.clear()
    time.sleep(dedupe.LEASE + 0.5)
    assert ledger.unpaid(0) == [("msg:1", "oDead")]
    assert tasks.owed_replies.apply().get() == 1
    assert tasks.owed_replies.apply().get() == 0  # told once
    with sessions() as sess:
        rows = sess.scalars(select(OutboundMessage)).all()
    assert [(r.recipient, r.reason, r.body["content"], r.status) for r in rows] == [
        ("oDead", "interrupted", channel_text("interrupted"), "queued")
    ]
    assert queued == [("wechat.send_texts", [[rows[0].id], None])]  # the customer-service send, for the worker
