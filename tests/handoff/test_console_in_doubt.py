"""The conversation view lists the resident's messages that may or may not have arrived
(docs/security.md, 6): the platform never re-sends them, so the agent decides."""

from __future__ import annotations

import pytest

from tests.handoff.test_console import ask_for_a_person
from web.outbound.models import IN_DOUBT, OutboundMessage

pytestmark = pytest.mark.usefixtures("redis_client")


def test_the_conversation_view_lists_messages_in_doubt(app, stand_in, signed_in):
    conv_id = ask_for_a_person(app, stand_in, "oInDoubt01")
    with app.extensions["database"].sessions.begin() as sess:
        for content, status in (("材料清单已发给您。", IN_DOUBT), ("已经送达的消息", "sent")):
            sess.add(
                OutboundMessage(
                    channel="wechat",
                    recipient="oInDoubt01",
                    kind="text",
                    reason="agent",
                    body={"content": content},
                    status=status,
                    attempts=1,
                    errmsg="in doubt: ReadTimeout" if status == IN_DOUBT else "ok",
                )
            )
    client, _ = signed_in("agent_free")
    page = client.get(f"/console/conversations/{conv_id}").get_data(as_text=True)
    assert 'id="in-doubt"' in page and "不确定居民是否收到" in page
    assert "材料清单已发给您。" in page and "已经送达的消息" not in page
