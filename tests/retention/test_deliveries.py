"""Campaign deliveries leave with the retention period whatever their campaign's state (security review, item 10).

Before, only deliveries of campaigns completed or cancelled before the cutoff were anonymised: a paused,
draft or never-finishing campaign kept its residents' names and openids for ever.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from common.db import make_engine
from common.migrate import upgrade
from web.policy.models import PolicyCampaign, PolicyDelivery
from web.retention.purge import AUDIT, PERSONAL, cutoff_for, purge

OLD, RECENT = datetime.now() - timedelta(days=200), datetime.now() - timedelta(days=10)


@pytest.fixture
def sessions(db_url) -> sessionmaker:
    upgrade("platform", db_url)
    return sessionmaker(make_engine(db_url), expire_on_commit=False)


def _purge(sessions: sessionmaker) -> dict[str, int]:
    with sessions.begin() as sess:
        return purge(sess, {PERSONAL: cutoff_for(180), AUDIT: cutoff_for(365)})


def _campaign(sess, state: str, started_at: datetime | None, **deliveries: dict) -> dict[str, int]:
    c = PolicyCampaign(name=state, benefit="高龄津贴", state=state, started_at=started_at)
    sess.add(c)
    sess.flush()
    ids = {}
    for i, (key, values) in enumerate(deliveries.items()):
        d = PolicyDelivery(campaign_id=c.id, resident_id=100 + i, openid=f"o{state}{key}", name="王秀英", **values)
        sess.add(d)
        sess.flush()
        ids[key] = d.id
    return ids


def test_old_deliveries_of_paused_running_and_draft_campaigns_keep_nobody(sessions):
    with sessions.begin() as sess:
        paused = _campaign(
            sess,
            "paused",
            OLD,
            sent={"status": "sent", "claimed_at": OLD, "sent_at": OLD},
            waiting={"status": "pending"},  # never sent: the campaign was paused 200 days ago
        )
        running = _campaign(
            sess,
            "running",
            OLD,
            in_doubt={"status": "in_doubt", "claimed_at": OLD},
            opened_lately={"status": "sent", "sent_at": OLD, "opened_at": RECENT},  # still in use: kept
        )
        draft = _campaign(sess, "draft", None, stray={"status": "pending"})  # created just now: kept
        recent = _campaign(sess, "running", RECENT, waiting={"status": "pending"})  # started lately: kept
    result = _purge(sessions)
    assert result["policy_deliveries_unsent"] == 1 and result["policy_deliveries"] == 3
    with sessions() as sess:

        def row(delivery_id: int) -> tuple[str, str, str, str | None, bool]:
            d = sess.get(PolicyDelivery, delivery_id)
            return d.openid, d.name, d.status, d.reason, d.resident_id < 0

        gone = ("expired", "", "sent", None, True)
        assert row(paused["sent"]) == gone  # the status stays for the funnel
        assert row(paused["waiting"]) == ("expired", "", "cancelled", "retention", True)  # and is never sent now
        assert row(running["in_doubt"]) == ("expired", "", "in_doubt", None, True)
        assert row(running["opened_lately"]) == ("orunningopened_lately", "王秀英", "sent", None, False)
        assert row(draft["stray"]) == ("odraftstray", "王秀英", "pending", None, False)
        assert row(recent["waiting"]) == ("orunningwaiting", "王秀英", "pending", None, False)
        kept = sess.scalars(select(PolicyDelivery.openid).where(PolicyDelivery.openid != "expired")).all()
        assert sorted(kept) == ["odraftstray", "orunningopened_lately", "orunningwaiting"]
    assert set(_purge(sessions).values()) == {0}  # run again: nothing left to do


def test_the_purge_of_deliveries_is_in_the_retention_log(sessions, caplog):
    with sessions.begin() as sess:
        _campaign(sess, "paused", OLD, waiting={"status": "pending"})
    with caplog.at_level("INFO", logger="web.retention.purge"):
        _purge(sessions)
    record = next(r for r in caplog.records if r.getMessage() == "retention purge")
    assert record.purged_policy_deliveries_unsent == 1 and record.purged_policy_deliveries == 1
