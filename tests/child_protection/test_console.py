"""The console's conversation page says where a child-protection referral stands."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.handoff.conftest import app, platform_url, sessions, signed_in, stand_in  # noqa: F401  (fixtures)
from web.conversations.models import Conversation
from web.handoff.child_protection.models import ChildProtectionReferral

pytestmark = pytest.mark.usefixtures("redis_client")

ASSIGNED = {
    "name": "王*",
    "role": "社区儿童主任",
    "community": "曹杨一村居委会",
    "station": None,
    "phone": "021-51693344",
}


def referral(conversation_id: int, n: int, **values) -> ChildProtectionReferral:
    row = ChildProtectionReferral(id=f"cp-console-{conversation_id}-{n}", conversation_id=conversation_id, **values)
    row.kind, row.account, row.reported_at = "violence", "孩子被打了", datetime(2026, 12, 4, 1, 30)
    return row


def test_the_conversation_page_shows_each_referral_as_it_stands(app, sessions, signed_in):  # noqa: F811
    with sessions.begin() as sess:
        conv = Conversation(sender_id="oConsoleCP01", channel="wechat")
        quiet = Conversation(sender_id="oConsoleCP02", channel="wechat")
        sess.add_all([conv, quiet])
        sess.flush()
        sess.add_all(
            [
                referral(conv.id, 1, status="sent", reference="WB2026120400001", assigned_to=ASSIGNED, attempts=1),
                referral(conv.id, 2, status="pending", attempts=2, last_error="connection refused"),
                referral(conv.id, 3, status="refused", attempts=1, last_error="bad_kind: kind 只能是……"),
            ]
        )
    client, _ = signed_in("boss")
    page = client.get(f"/console/conversations/{conv.id}").get_data(as_text=True)
    assert "已转未成年人保护：<strong>WB2026120400001</strong> 指派给 社区儿童主任 王*（曹杨一村居委会" in page
    assert "未保转介待发送（业务系统暂时连不上，会自动重试）" in page
    assert "未保转介没有被业务系统接受（bad_kind" in page and "12-04 09:30" in page  # Shanghai time
    assert 'id="child-protection"' not in client.get(f"/console/conversations/{quiet.id}").get_data(as_text=True)
