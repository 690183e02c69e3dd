"""Template delivery receipts (TEMPLATESENDJOBFINISH) against the sender's own bookkeeping,
in every order they can meet, on SQLite and PostgreSQL with the real Redis."""
from __future__ import annotations

import secrets

import pytest
from sqlalchemy import event, update
from sqlalchemy.orm import sessionmaker

from common.db import make_engine
from common.migrate import upgrade
from web.outbound.models import OutboundMessage
from web.outbound.wechat_sender import EarlyReceipts, record_receipt


@pytest.fixture
def sessions(db_url) -> sessionmaker:
    upgrade("platform", db_url)
    return sessionmaker(make_engine(db_url))


def _template_in_flight(sessions: sessionmaker) -> int:
    with sessions.begin() as sess:
        row = OutboundMessage(channel="wechat", recipient="oReceipt", kind="template", reason="notification",
                              body={"template_id": "TPL_notice"}, status="sending", attempts=1)
        sess.add(row)
        sess.flush()
        return row.id


def _sender_commits_and_looks(sessions: sessionmaker, early: EarlyReceipts, row_id: int, msgid: int) -> None:
    """What WechatSender.send_template does once WeChat has answered with the msgid."""
    with sessions.begin() as sess:
        sess.execute(update(OutboundMessage).where(OutboundMessage.id == row_id).values(status="sent", wechat_msgid=msgid))
    found = early.pop(msgid)
    if found:
        record_receipt(sessions, msgid, found)


def _receipt(sessions: sessionmaker, row_id: int) -> str | None:
    with sessions() as sess:
        return sess.get(OutboundMessage, row_id).receipt_status


def test_a_receipt_after_the_senders_commit_is_recorded_at_once(sessions, redis_client):
    early, msgid = EarlyReceipts(redis_client), secrets.randbelow(10**15)
    row_id = _template_in_flight(sessions)
    _sender_commits_and_looks(sessions, early, row_id, msgid)
    assert record_receipt(sessions, msgid, "success", early) is True
    assert _receipt(sessions, row_id) == "success" and early.pop(msgid) is None  # nothing left behind


def test_a_receipt_before_the_senders_commit_is_kept_and_picked_up(sessions, redis_client):
    early, msgid = EarlyReceipts(redis_client), secrets.randbelow(10**15)
    row_id = _template_in_flight(sessions)
    assert record_receipt(sessions, msgid, "failed:user block", early) is False
    _sender_commits_and_looks(sessions, early, row_id, msgid)
    assert _receipt(sessions, row_id) == "failed:user block"


def test_a_receipt_whose_miss_meets_the_senders_commit_and_look_is_not_lost(sessions, db_url, redis_client):
    """The receipt finds no row; before it can do anything more, the sender commits the msgid
    and looks for an early receipt. The receipt must already be where the sender looks."""
    early, msgid = EarlyReceipts(redis_client), secrets.randbelow(10**15)
    row_id = _template_in_flight(sessions)
    racing = sessionmaker(make_engine(db_url))
    event.listen(racing, "after_commit", lambda _sess: _sender_commits_and_looks(sessions, early, row_id, msgid), once=True)
    assert record_receipt(racing, msgid, "success", early) is False
    assert _receipt(sessions, row_id) == "success"
