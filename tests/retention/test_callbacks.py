"""Call-back tasks (an agent's reply WeChat refused, web/handoff/undelivered.py) leave with the retention
period once done; one still open is never dropped: nothing an agent wrote is lost before someone saw to it."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from common.db import make_engine
from common.migrate import upgrade
from web.outbound.models import CallbackTask
from web.retention.purge import AUDIT, PERSONAL, cutoff_for, purge

OLD, RECENT = datetime.now() - timedelta(days=200), datetime.now() - timedelta(days=10)


@pytest.fixture
def sessions(db_url) -> sessionmaker:
    upgrade("platform", db_url)
    return sessionmaker(make_engine(db_url), expire_on_commit=False)


def test_done_call_back_tasks_go_open_ones_stay(sessions):
    with sessions.begin() as sess:
        sess.add_all(
            [
                CallbackTask(outbound_id=1, recipient="oOld", reason="window_closed", created_at=OLD, done_at=OLD),
                CallbackTask(outbound_id=2, recipient="oOld", reason="window_closed", created_at=OLD),
                CallbackTask(outbound_id=3, recipient="oNew", reason="rate_limited", created_at=RECENT, done_at=RECENT),
            ]
        )
    with sessions.begin() as sess:
        assert purge(sess, {PERSONAL: cutoff_for(180), AUDIT: cutoff_for(365)})["callback_tasks"] == 1
    with sessions() as sess:
        assert sorted(sess.scalars(select(CallbackTask.outbound_id))) == [2, 3]
