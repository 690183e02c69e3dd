"""The conversation page tells the agent, before they type, whether a reply can reach a WeChat
resident (the customer-service window and the messages left), and shows the replies WeChat refused
as call-back tasks until the agent reached the resident (issue 23). Real PostgreSQL/SQLite and Redis."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from tests.handoff.test_console import ask_for_a_person, audit_actions
from web.console.stream import _events
from web.handoff import undelivered
from web.handoff.events import CONSOLE_CHANNEL
from web.outbound import cs_window
from web.outbound.models import OutboundMessage

pytestmark = pytest.mark.usefixtures("redis_client")


def _claimed(app, stand_in, signed_in, openid: str, wrote_at: datetime):
    conv_id = ask_for_a_person(app, stand_in, openid)
    cs_window.record_inbound(app.extensions["redis"], openid, cs_window.MESSAGE, wrote_at)  # as /wechat records it
    client, token = signed_in("agent_free")
    assert client.post(f"/console/conversations/{conv_id}/claim", data={"csrf_token": token}).status_code == 302
    return conv_id, client, token


def _reply(client, token: str, conv_id: int, text: str) -> dict:
    resp = client.post(
        f"/console/conversations/{conv_id}/reply",
        json={"text": text},
        headers={"X-CSRFToken": token, "Accept": "application/json"},
    )
    assert resp.status_code == 200
    return resp.get_json()


def test_the_agent_sees_the_messages_left_count_down_to_zero_before_typing(app, stand_in, signed_in):
    openid = "oReach000001"
    conv_id, client, token = _claimed(app, stand_in, signed_in, openid, datetime.now(timezone.utc))
    page = client.get(f"/console/conversations/{conv_id}").get_data(as_text=True)
    assert 'id="cs-window"' in page and "还可以发4条" in page  # the claim's greeting is one of the five
    assert "窗口还有47小时59分" in page
    for n in range(4):
        assert _reply(client, token, conv_id, f"第{n + 1}句") == {"ok": True, "message": None}
    reach = client.get(f"/console/conversations/{conv_id}/reach").get_json()
    assert reach["window"]["state"] == "used_up" and reach["window"]["left"] == 0
    assert "还剩0条" in reach["window"]["text"]
    assert "还剩0条" in client.get(f"/console/conversations/{conv_id}").get_data(as_text=True)
    sixth = _reply(client, token, conv_id, "第5句")  # the sixth line of the window: the agent is told at once
    assert sixth["ok"] and "很可能收不到" in sixth["message"]


def test_a_closed_window_is_shown_before_the_agent_answers_on_monday(app, stand_in, signed_in):
    openid = "oReach000002"
    conv_id, client, token = _claimed(
        app, stand_in, signed_in, openid, datetime.now(timezone.utc) - timedelta(hours=64)
    )
    page = client.get(f"/console/conversations/{conv_id}").get_data(as_text=True)
    assert 'class="cs-window closed"' in page and "客服消息窗口已关闭" in page
    assert "很可能收不到" in _reply(client, token, conv_id, "您好，您周五问的事有结果了。")["message"]


def test_refused_replies_are_listed_until_the_agent_called_the_resident(app, stand_in, signed_in):
    openid = "oReach000003"
    conv_id, client, token = _claimed(
        app, stand_in, signed_in, openid, datetime.now(timezone.utc) - timedelta(hours=64)
    )
    _reply(client, token, conv_id, "您好，低保已经批下来了，13812345678 联系我。")
    sessions = app.extensions["database"].sessions
    with sessions.begin() as sess:  # what the sender does when WeChat answers 45015
        rows = sess.scalars(select(OutboundMessage).where(OutboundMessage.recipient == openid)).all()
        for row in rows:
            row.status, row.errcode = "window_closed", 45015
        undelivered.keep(sess, [r.id for r in rows])
    page = client.get(f"/console/conversations/{conv_id}").get_data(as_text=True)
    assert "未送达，待回电" in page and "低保已经批下来了" in page and "13812345678" not in page  # masked
    callbacks = client.get(f"/console/conversations/{conv_id}/reach").get_json()["callbacks"]
    assert len(callbacks) == 2 and callbacks[1]["reason"] == "居民超过48小时没发消息"
    queue_page = client.get("/console/").get_data(as_text=True)  # the reminder, wherever the agent is
    assert 'id="callbacks"' in queue_page and f"会话 #{conv_id}</a>：2 条未送达" in queue_page
    for c in callbacks:
        done = client.post(
            f"/console/conversations/{conv_id}/callbacks/{c['task_id']}/done",
            headers={"X-CSRFToken": token, "Accept": "application/json"},
        )
        assert done.status_code == 200
    assert client.get(f"/console/conversations/{conv_id}/reach").get_json()["callbacks"] == []
    assert 'id="callbacks"' not in client.get("/console/queue/rows").get_data(as_text=True)
    assert audit_actions(app, conv_id).count("callback_done") == 2
    again = client.post(
        f"/console/conversations/{conv_id}/callbacks/{callbacks[0]['task_id']}/done",
        headers={"X-CSRFToken": token, "Accept": "application/json"},
    )
    assert again.status_code == 409


def test_a_web_chat_resident_has_no_window(app, stand_in, signed_in):
    conv_id = ask_for_a_person(app, stand_in, "web:reach-web-1", channel="web")
    client, _ = signed_in("agent_free")
    assert 'id="cs-window"' not in client.get(f"/console/conversations/{conv_id}").get_data(as_text=True)
    assert client.get(f"/console/conversations/{conv_id}/reach").get_json() == {"window": None, "callbacks": []}


def test_the_live_stream_tells_the_watching_page_of_an_undelivered_reply(app):
    client = app.extensions["redis"]
    pubsub = client.pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(CONSOLE_CHANNEL)
    events = _events(pubsub, 41)
    assert next(events).startswith("retry:")
    for conversation_id in (40, 41):
        client.publish(CONSOLE_CHANNEL, json.dumps({"type": "undelivered", "conversation_id": conversation_id}))
    assert next(events) == 'event: undelivered\ndata: {"conversation_id": 41}\n\n'  # not another conversation's
    pubsub.close()
    pubsub = client.pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(CONSOLE_CHANNEL)
    queue_events = _events(pubsub, None)  # the queue page: told of any, reloads its rows (filtered for the agent)
    next(queue_events)
    client.publish(CONSOLE_CHANNEL, json.dumps({"type": "undelivered", "conversation_id": 40}))
    assert next(queue_events) == 'event: undelivered\ndata: {"conversation_id": 40}\n\n'
    pubsub.close()
