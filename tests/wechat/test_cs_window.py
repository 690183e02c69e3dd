"""The customer-service window and quota kept per resident (web/outbound/cs_window.py), on real Redis."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy.orm import sessionmaker

from common.db import make_engine
from common.migrate import upgrade
from web.outbound import cs_window
from web.outbound.cs_window import EVENT, MESSAGE, Allowance
from web.outbound.models import OutboundMessage

NOW = datetime(2026, 12, 4, 18, 30, tzinfo=timezone.utc)  # a Friday evening


def _openid() -> str:
    return "o" + uuid.uuid4().hex[:27]


@pytest.fixture
def now() -> datetime:
    """Real time: the record's key expires by Redis's clock."""
    return datetime.now(timezone.utc)


def test_a_resident_message_opens_five_messages_for_48_hours(redis_client, now):
    openid = _openid()
    assert cs_window.allowance(redis_client, openid, now) == Allowance(None, 0)
    cs_window.record_inbound(redis_client, openid, MESSAGE, now)
    allowed = cs_window.allowance(redis_client, openid, now)
    assert allowed.left == 5 and allowed.can_send
    assert allowed.open_until == now + timedelta(hours=48)
    assert allowed.seconds_left(now + timedelta(hours=47)) == 3600
    assert not cs_window.allowance(redis_client, openid, now + timedelta(hours=48, seconds=1)).can_send


def test_the_sixth_message_has_no_quota_left_until_the_resident_writes_again(redis_client, now):
    openid = _openid()
    cs_window.record_inbound(redis_client, openid, MESSAGE, now)
    assert [cs_window.record_sent(redis_client, openid, now) for _ in range(6)] == [True] * 5 + [False]
    allowed = cs_window.allowance(redis_client, openid, now)
    assert allowed.open_until is not None and allowed.left == 0 and not allowed.can_send
    cs_window.record_inbound(redis_client, openid, MESSAGE, now + timedelta(minutes=3))
    assert cs_window.allowance(redis_client, openid, now + timedelta(minutes=3)).left == 5  # a fresh 5, not 10


def test_a_menu_tap_gives_three_within_a_minute_and_not_the_message_quota(redis_client, now):
    openid = _openid()
    cs_window.record_inbound(redis_client, openid, EVENT, now)
    assert cs_window.allowance(redis_client, openid, now) == Allowance(now + timedelta(seconds=60), 3)
    assert not cs_window.allowance(redis_client, openid, now + timedelta(seconds=61)).can_send
    # with the 48-hour grant open too, the tap's short grant is spent first
    cs_window.record_inbound(redis_client, openid, MESSAGE, now)
    assert cs_window.allowance(redis_client, openid, now).left == 8
    cs_window.record_sent(redis_client, openid, now)
    assert cs_window.allowance(redis_client, openid, now + timedelta(seconds=61)).left == 5


def test_wechat_refusing_corrects_the_record(redis_client, now):
    openid = _openid()
    cs_window.record_inbound(redis_client, openid, MESSAGE, now)
    cs_window.record_refused(redis_client, openid, 45047)
    assert cs_window.allowance(redis_client, openid, now).left == 0
    cs_window.record_refused(redis_client, openid, 45015)
    assert cs_window.allowance(redis_client, openid, now) == Allowance(None, 0)
    cs_window.record_inbound(redis_client, openid, MESSAGE, now)
    cs_window.record_closed(redis_client, openid)  # unfollowed
    assert not cs_window.allowance(redis_client, openid, now).can_send


def test_a_window_that_ended_long_ago_leaves_nothing_in_redis(redis_client):
    openid = _openid()
    cs_window.record_inbound(redis_client, openid, MESSAGE, NOW - timedelta(days=30))
    assert not redis_client.exists(f"wechat:cs:{openid}")


@pytest.mark.parametrize(
    ("kind", "event", "scene"),
    [
        ("text", "", MESSAGE),
        ("image", "", MESSAGE),
        ("event", "click", EVENT),
        ("event", "scancode_waitmsg", EVENT),
        ("event", "subscribe", EVENT),
        ("event", "subscribe_scan", EVENT),
        ("event", "scan", EVENT),
        ("event", "view", None),
        ("event", "templatesendjobfinish", None),
        ("event", "unsubscribe", None),
    ],
)
def test_which_interactions_open_a_grant(kind, event, scene):
    assert cs_window.scene_of(kind, event) == scene


def test_pending_counts_texts_written_and_not_yet_answered(db_url, redis_client, now):
    upgrade("platform", db_url)
    sessions = sessionmaker(make_engine(db_url), expire_on_commit=False)
    openid = _openid()
    with sessions.begin() as sess:
        for status in ("queued", "sending", "sent", "window_closed"):
            sess.add(
                OutboundMessage(
                    channel="wechat",
                    recipient=openid,
                    kind="text",
                    reason="agent",
                    body={"content": "好"},
                    status=status,
                )
            )
    cs_window.record_inbound(redis_client, openid, MESSAGE, now)
    with sessions() as sess:
        waiting = cs_window.pending(sess, openid)
    assert waiting == 2
    assert cs_window.allowance(redis_client, openid, now, pending=waiting).left == 3
