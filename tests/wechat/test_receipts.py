"""Template delivery receipts (TEMPLATESENDJOBFINISH) against the sender's own bookkeeping,
in every order they can meet, on SQLite and PostgreSQL with the real Redis."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import pytest
from sqlalchemy import event
from sqlalchemy.orm import sessionmaker

from common.db import make_engine
from common.migrate import upgrade
from web.outbound.models import OutboundMessage
from web.outbound.wechat_sender import EarlyReceipts, WechatSender, record_receipt


@pytest.fixture
def sessions(db_url) -> sessionmaker:
    upgrade("platform", db_url)
    return sessionmaker(make_engine(db_url))


def _template_queued(sessions: sessionmaker) -> int:
    with sessions.begin() as sess:
        row = OutboundMessage(
            channel="wechat",
            recipient="oReceipt",
            kind="template",
            reason="notification",
            body={"template_id": "TPL_notice", "data": {}},
            status="queued",
        )
        sess.add(row)
        sess.flush()
        return row.id


@dataclass
class AcceptingWechat:
    """WeChat's side of the call (the one part stood in for): it accepts and names the msgid."""

    msgid: int

    def send_template(self, openid: str, template_id: str, data: dict, url: str | None) -> int:
        return self.msgid


def _sender(sessions: sessionmaker, early: EarlyReceipts, msgid: int) -> WechatSender:
    return WechatSender(sessions, AcceptingWechat(msgid), early)  # type: ignore[arg-type]


def _receipt(sessions: sessionmaker, row_id: int) -> str | None:
    with sessions() as sess:
        return sess.get(OutboundMessage, row_id).receipt_status


def test_a_receipt_after_the_senders_commit_is_recorded_at_once(sessions, redis_client):
    early, msgid = EarlyReceipts(redis_client), secrets.randbelow(10**15)
    row_id = _template_queued(sessions)
    assert _sender(sessions, early, msgid).send_template(row_id)
    assert record_receipt(sessions, msgid, "success", early) is True
    assert _receipt(sessions, row_id) == "success" and early.pop(msgid) is None  # nothing left behind


def test_a_receipt_before_the_senders_commit_is_kept_and_picked_up(sessions, redis_client):
    early, msgid = EarlyReceipts(redis_client), secrets.randbelow(10**15)
    row_id = _template_queued(sessions)
    assert record_receipt(sessions, msgid, "failed:user block", early) is False
    assert _sender(sessions, early, msgid).send_template(row_id)
    assert _receipt(sessions, row_id) == "failed:user block"


def test_a_receipt_whose_miss_meets_the_senders_commit_and_look_is_not_lost(sessions, db_url, redis_client):
    """The receipt finds no row; before it can do anything more, the sender sends, commits the
    msgid and looks for an early receipt. The receipt must already be where the sender looks."""
    early, msgid = EarlyReceipts(redis_client), secrets.randbelow(10**15)
    row_id = _template_queued(sessions)
    racing = sessionmaker(make_engine(db_url))
    event.listen(racing, "after_commit", lambda _sess: _sender(sessions, early, msgid).send_template(row_id), once=True)
    assert record_receipt(racing, msgid, "success", early) is False
    assert _receipt(sessions, row_id) == "success"
