"""A benefit application kept by the platform's outbox (web/assistance/outbox.py) and where it is sent."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from actions.benefits.common import OUTBOX_KIND
from common.db import make_engine
from common.migrate import upgrade
from web.assistance import outbox, tasks
from web.assistance.models import OutboxEntry
from web.conversations.models import Conversation
from web.identity.links import BindingLinks
from web.services import side_effects as platform_side_effects

side_effects = platform_side_effects(BindingLinks("http://platform.test", "test-secret"))


@pytest.fixture
def sessions(db_url, monkeypatch) -> sessionmaker:
    upgrade("platform", db_url)
    monkeypatch.setattr(outbox, "_queue_after_commit", lambda _sess, _entry_id: None)
    return sessionmaker(make_engine(db_url))


def test_a_benefit_application_is_kept_and_goes_to_the_benefits_endpoint(sessions):
    body = {"programme": "disability_care", "submitted_by_openid": "oX", "member_id": 7}
    with sessions.begin() as sess:
        conv = Conversation(sender_id="web:o-benefit", channel="web")
        sess.add(conv)
        sess.flush()
        side_effects.apply(sess, conv, {"outbox": {"kind": OUTBOX_KIND, "id": "bf-1", "body": body}})
    with sessions() as sess:
        [entry] = sess.scalars(select(OutboxEntry)).all()
        assert (entry.kind, entry.body, entry.status) == ("benefit_application", body, "pending")
    assert tasks.PATHS[OUTBOX_KIND] == "/benefits/applications"
    notice = tasks._submitted(OUTBOX_KIND, {"title": "重度残疾人护理补贴", "case_no": "CJ1", "next_step": "等审核"})
    assert "重度残疾人护理补贴" in notice and "CJ1" in notice
