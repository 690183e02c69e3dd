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
