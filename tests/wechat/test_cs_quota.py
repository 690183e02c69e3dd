"""An agent's reply WeChat will not take is never silently lost (issue 23).

The real sender (web/outbound/wechat_sender.py) and WeChat client on a real database and Redis,
against the WeChat stand-in, which enforces the customer-service window (45015) and quota (45047)
as WeChat does. The sixth line in a window, and a Friday-evening ticket answered on Monday, end as
call-back tasks announced to the console, and the resident's record shows nothing left.
"""

from __future__ import annotations

import json
import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest
import redis
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from common.db import make_engine
from common.migrate import upgrade
from tests.serving import served
from tools.wechat_standin import WechatStandin
from web.conversations.models import Conversation
from web.handoff import undelivered
from web.handoff.events import CONSOLE_CHANNEL, Publisher
from web.outbound import Outbound, cs_window
from web.outbound.models import CallbackTask, OutboundMessage
from web.outbound.wechat_sender import WechatSender
from web.subscriptions import consent, templates
from web.subscriptions.send import NoticeSender
from web.wechat_api import WechatApi

APP_ID, SECRET = "wx_quota", "quota-secret"


@pytest.fixture
def sessions(db_url, redis_client) -> sessionmaker:
    upgrade("platform", db_url)
    made = sessionmaker(make_engine(db_url), expire_on_commit=False)
    Publisher(redis_client, rasa=None).install(made)  # the worker's sessions announce to the console
    return made


@pytest.fixture
def standin() -> WechatStandin:
    return WechatStandin("http://127.0.0.1:9/wechat", "t", APP_ID, SECRET, retries=0)  # API side only


def _resident(standin: WechatStandin, sessions: sessionmaker, client: redis.Redis, at: datetime) -> tuple[str, int]:
    """A resident who wrote at ``at``: to WeChat (the stand-in) and as the channel records it."""
    openid = "o" + uuid.uuid4().hex[:27]
    standin.send_text(openid, "我的低保申请到哪一步了")
    cs_window.record_inbound(client, openid, cs_window.MESSAGE, at)
    with sessions.begin() as sess:
        conv = Conversation(sender_id=openid, channel="wechat", state="active")
        sess.add(conv)
        sess.flush()
        return openid, conv.id


def _agent_line(sessions: sessionmaker, openid: str, text: str) -> int:
    with sessions.begin() as sess:
        row = OutboundMessage(
            channel="wechat", recipient=openid, kind="text", reason="agent", body={"content": text}, status="queued"
        )
        sess.add(row)
        sess.flush()
        return row.id


def _sender(sessions: sessionmaker, client: redis.Redis, base: str) -> WechatSender:
    client.delete(f"wechat:access_token:{APP_ID}")
    return WechatSender(
        sessions,
        WechatApi(client, base, APP_ID, SECRET, backoff=0.01),
        windows=client,
        refused=undelivered.CallBacks(sessions),
    )


def _announced(pubsub, conversation_id: int, timeout: float = 3.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        message = pubsub.get_message(timeout=0.2)
        if message and message["type"] == "message":
            event = json.loads(message["data"])
            if event == {"type": "undelivered", "conversation_id": conversation_id}:
                return True
    return False


def test_the_sixth_agent_line_in_a_window_is_kept_undelivered_and_shown(sessions, standin, redis_client):
    now = datetime.now(timezone.utc)
    openid, conversation_id = _resident(standin, sessions, redis_client, now)
    pubsub = redis_client.pubsub()
    pubsub.subscribe(CONSOLE_CHANNEL)
    with served(standin.app) as base:
        sender = _sender(sessions, redis_client, base)
        lines = [f"第{n}句：您好，我帮您查一下。" for n in range(1, 7)]
        ids = []
        for n, line in enumerate(lines):  # the console sends each line as the agent writes it
            ids.append(_agent_line(sessions, openid, line))
            with sessions() as sess:
                shown = cs_window.allowance(redis_client, openid, now, cs_window.pending(sess, openid))
            assert shown.left == max(0, 5 - n - 1)  # what the console shows once the line is written
            sender.send_texts([ids[-1]])
    assert [m["text"]["content"] for m in standin.inbox(openid)] == lines[:5]
    with sessions() as sess:
        assert [sess.get(OutboundMessage, i).status for i in ids] == ["sent"] * 5 + ["rate_limited"]
        assert sess.get(OutboundMessage, ids[5]).errcode == 45047
        kept = undelivered.for_resident(sess, openid)
    assert [(k.outbound_id, k.text, k.reason) for k in kept] == [(ids[5], lines[5], "rate_limited")]
    assert _announced(pubsub, conversation_id)
    assert cs_window.allowance(redis_client, openid, now).left == 0


def test_a_friday_evening_ticket_answered_on_monday_is_kept_undelivered(sessions, standin, redis_client):
    friday = datetime.now(timezone.utc) - timedelta(hours=64)  # Friday 18:00 → Monday 10:00
    openid, conversation_id = _resident(standin, sessions, redis_client, friday)
    standin.close_window(openid)  # 48 hours have passed for WeChat too
    assert (
        cs_window.allowance(redis_client, openid, datetime.now(timezone.utc)).open_until is None
    )  # the console's "closed"
    pubsub = redis_client.pubsub()
    pubsub.subscribe(CONSOLE_CHANNEL)
    with served(standin.app) as base:
        sender = _sender(sessions, redis_client, base)
        first = _agent_line(sessions, openid, "您好，您周五问的低保进度：已到入户调查。")
        second = _agent_line(sessions, openid, "调查员这周会联系您。")
        sender.send_texts([first, second])  # one turn of two lines
    assert standin.inbox(openid) == []
    with sessions() as sess:
        assert [sess.get(OutboundMessage, i).status for i in (first, second)] == ["window_closed"] * 2
        assert [k.outbound_id for k in undelivered.for_resident(sess, openid)] == [first, second]
    assert _announced(pubsub, conversation_id)
    with sessions.begin() as sess:  # a redelivered task keeps nothing twice
        assert undelivered.keep(sess, [first, second]).outbound_ids == []
    with sessions.begin() as sess:  # the agent called the resident back
        task = sess.scalar(select(CallbackTask).where(CallbackTask.outbound_id == first))
        assert undelivered.done(sess, task.id, openid, "agent1", datetime.now())
        assert not undelivered.done(sess, task.id, openid, "agent1", datetime.now())
    with sessions() as sess:
        assert [k.outbound_id for k in undelivered.for_resident(sess, openid)] == [second]


def test_a_bot_reply_refused_is_not_a_call_back_task(sessions, standin, redis_client):
    openid, _ = _resident(standin, sessions, redis_client, datetime.now(timezone.utc))
    standin.close_window(openid)
    with sessions.begin() as sess:
        row = OutboundMessage(
            channel="wechat",
            recipient=openid,
            kind="text",
            reason="slow_reply",
            body={"content": "好"},
            status="queued",
        )
        sess.add(row)
        sess.flush()
        row_id = row.id
    with served(standin.app) as base:
        _sender(sessions, redis_client, base).send_texts([row_id])
    with sessions() as sess:
        assert sess.get(OutboundMessage, row_id).status == "window_closed"
        assert undelivered.for_resident(sess, openid) == []
    assert cs_window.allowance(redis_client, openid, datetime.now(timezone.utc)).open_until is None  # 45015 closed it


def test_a_resident_who_accepted_reply_notices_is_told_a_reply_waits_once(sessions, standin, redis_client):
    openid, _ = _resident(standin, sessions, redis_client, datetime.now(timezone.utc) - timedelta(hours=64))
    standin.close_window(openid)
    template_id = templates.get(undelivered.NOTICE_TEMPLATE).template_id
    standin.accept_notices(
        openid, {template_id: "accept"}
    )  # in WeChat's pop-up (the channel's part: tests/wechat/subscriptions)
    with sessions.begin() as sess:
        consent.record(sess, openid, template_id, "accept", "popup_h5")
    queued: list[tuple[str, list]] = []
    outbound = Outbound(sessions, redis_client, lambda task, args: queued.append((task, args)))  # the broker
    with served(standin.app) as base:
        api = WechatApi(redis_client, base, APP_ID, SECRET, backoff=0.01)
        sender = WechatSender(sessions, api, windows=redis_client, refused=undelivered.CallBacks(sessions, outbound))
        first = _agent_line(sessions, openid, "您好，材料齐了，下周一可以来办。")
        sender.send_texts([first])
        second = _agent_line(sessions, openid, "带上户口本。")
        sender.send_texts([second])  # a second refused line while the first is still open: no second notice
        assert [task for task, _ in queued] == ["wechat.send_notice"]
        NoticeSender(sessions, api).send(queued[0][1][0])  # what the worker's task does
    [notice] = standin.notices_to(openid)
    assert notice["data"]["thing2"]["value"] == undelivered.NOTICE_TEXT
    with sessions() as sess:
        kept = undelivered.for_resident(sess, openid)
        assert sess.get(OutboundMessage, queued[0][1][0]).status == "sent"
    assert [(k.outbound_id, k.notice_sent) for k in kept] == [(first, True), (second, False)]  # told once
