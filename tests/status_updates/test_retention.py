"""Retention (web/retention/purge.py) of the status updates told: whom and which case go after
RETENTION_DAYS; the change's id stays, so a change is never told twice."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import sessionmaker

from common.db import make_engine
from common.migrate import upgrade
from web.retention.purge import AUDIT, PERSONAL, purge
from web.status_updates.models import StatusUpdate


def test_old_status_updates_lose_whom_they_told_and_keep_their_change_id(db_url):
    upgrade("platform", db_url)
    sessions = sessionmaker(make_engine(db_url), expire_on_commit=False)
    now = datetime(2026, 12, 5, 12, 0)
    with sessions.begin() as sess:
        for change_id, age in ((1, 200), (2, 10)):
            sess.add(
                StatusUpdate(
                    change_id=change_id,
                    domain="assistance",
                    kind="status",
                    ref=f"JZ202606010000{change_id}",
                    recipient=f"oResident{change_id}",
                    channel="template",
                    told_at=now - timedelta(days=age),
                )
            )
    cutoff = now - timedelta(days=180)
    with sessions.begin() as sess:
        assert purge(sess, {PERSONAL: cutoff, AUDIT: cutoff})["status_updates"] == 1
    with sessions() as sess:
        old, recent = sess.get(StatusUpdate, 1), sess.get(StatusUpdate, 2)
    assert (old.recipient, old.ref) == ("expired", "")
    assert (recent.recipient, recent.ref) == ("oResident2", "JZ2026060100002")
