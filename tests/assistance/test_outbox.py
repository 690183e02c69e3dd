"""The ``outbox`` side effect on the platform database (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from common.db import make_engine
from common.migrate import upgrade
from web.assistance import outbox
from web.assistance.models import OutboxEntry
from web.assistance.tasks import backoff
from web.conversations.models import Conversation
from web.identity.links import BindingLinks
from web.services import side_effects as platform_side_effects

side_effects = platform_side_effects(
    BindingLinks("http://platform.test", "test-secret")
)  # as web/services.py gives them


@pytest.fixture
def sessions(db_url, monkeypatch) -> sessionmaker:
    upgrade("platform", db_url)
    queued: list[str] = []
    monkeypatch.setattr(outbox, "_queue_after_commit", lambda _sess, entry_id: queued.append(entry_id))
    factory = sessionmaker(make_engine(db_url))
    factory.queued = queued
    return factory


def payload(entry_id: str = "as-1") -> dict:
    return {"outbox": {"kind": "assistance_application", "id": entry_id, "body": {"type": "低保"}}}


def test_the_payload_becomes_a_pending_row_and_is_not_shown(sessions):
    with sessions.begin() as sess:
        conv = Conversation(sender_id="web:o1", channel="web")
        sess.add(conv)
        sess.flush()
        assert side_effects.apply(sess, conv, {**payload(), "other": 1}).custom == {"other": 1}
        assert side_effects.apply(sess, conv, payload()).custom == {}  # delivered twice: still one row
    with sessions() as sess:
        [entry] = sess.scalars(select(OutboxEntry)).all()
        assert (entry.id, entry.status, entry.attempts, entry.body) == ("as-1", "pending", 0, {"type": "低保"})
    assert sessions.queued == ["as-1"]


def test_a_malformed_payload_is_refused(sessions):
    with sessions.begin() as sess:
        conv = Conversation(sender_id="web:o2", channel="web")
        sess.add(conv)
        sess.flush()
        side_effects.apply(sess, conv, {"outbox": {"kind": "unknown", "id": "x", "body": {}}})
        side_effects.apply(sess, conv, {"outbox": {"kind": "assistance_application", "body": {}}})
    with sessions() as sess:
        assert sess.scalars(select(OutboxEntry)).all() == []


def test_backoff_grows_then_stays_at_the_cap():
    assert [backoff(n) for n in range(4)] == [2, 4, 8, 16]
    assert backoff(20) == 300
