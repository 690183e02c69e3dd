"""A customer-service message is sent at most once (docs/security.md, 6).

The real sender (web/outbound/wechat_sender.py) and WeChat client, on a real database and Redis,
against the WeChat stand-in, which records every message a resident receives. A message whose
answer is lost after WeChat took it is recorded in doubt and never sent again; one that surely
never left (connection refused, system busy) is retried and arrives once.
"""

from __future__ import annotations

import threading
import time
import uuid
from datetime import timedelta

import pytest
from sqlalchemy.orm import sessionmaker
from werkzeug.serving import make_server

from common.db import make_engine
from common.migrate import upgrade
from tests.serving import served
from tools import stack
from tools.wechat_standin import WechatStandin
from web.outbound import doubt, sweep
from web.outbound.models import OutboundMessage
from web.outbound.wechat_sender import WechatSender
from web.wechat_api import WechatApi

APP_ID, SECRET = "wx_doubt", "doubt-secret"
READ_TIMEOUT = 0.5


@pytest.fixture
def sessions(db_url) -> sessionmaker:
    upgrade("platform", db_url)
    return sessionmaker(make_engine(db_url), expire_on_commit=False)


@pytest.fixture
def standin() -> WechatStandin:
    return WechatStandin("http://127.0.0.1:9/wechat", "t", APP_ID, SECRET, retries=0)  # no callback: API side only


def _resident(standin: WechatStandin) -> str:
    openid = "o" + uuid.uuid4().hex[:27]
    standin.send_text(openid, "你好")  # the resident wrote: the 48-hour window is open
    return openid


def _queued(sessions: sessionmaker, openid: str, content: str) -> int:
    with sessions.begin() as sess:
        row = OutboundMessage(
            channel="wechat", recipient=openid, kind="text", reason="agent", body={"content": content}, status="queued"
        )
        sess.add(row)
        sess.flush()
        return row.id


def _api(redis_client, base: str, backoff: float = 0.05) -> WechatApi:
    redis_client.delete(f"wechat:access_token:{APP_ID}")
    return WechatApi(redis_client, base, APP_ID, SECRET, retries=3, backoff=backoff, timeout=(2.0, READ_TIMEOUT))


def _status(sessions: sessionmaker, row_id: int) -> str:
    with sessions() as sess:
        return sess.get(OutboundMessage, row_id).status


def test_an_answer_lost_after_wechat_took_the_message_leaves_it_in_doubt_not_resent(sessions, standin, redis_client):
    openid = _resident(standin)
    with served(standin.app) as base:
        sender = WechatSender(sessions, _api(redis_client, base))
        row_id = _queued(sessions, openid, "您的预约已改到周三上午。")
        standin.delay_answers(READ_TIMEOUT * 3)  # WeChat delivers, its answer comes after our read timeout
        assert sender.send_texts([row_id]) == []  # nothing for the Celery task to retry
        time.sleep(READ_TIMEOUT * 3)  # the stand-in has answered by now; anything re-sent would be in the inbox
        assert _status(sessions, row_id) == "in_doubt"
        assert sender.send_texts([row_id]) == []  # a redelivered task sends nothing either
        assert sweep.requeue_unsent(sessions, lambda task, args: None, stalled_after=timedelta(0)) == 0
        received = [m["text"]["content"] for m in standin.inbox(openid)]
    assert received == ["您的预约已改到周三上午。"]  # exactly once
    with sessions() as sess:
        assert [m.id for m in doubt.for_resident(sess, openid)] == [row_id]  # shown to the agents


def test_connection_refused_is_retried_and_delivered_once(sessions, standin, redis_client):
    openid = _resident(standin)
    port = stack.free_port()  # nothing listens there yet: every connection is refused
    sender = WechatSender(sessions, _api(redis_client, f"http://127.0.0.1:{port}", backoff=0.4))
    row_id = _queued(sessions, openid, "坐席回复：材料已收到。")
    later = threading.Timer(0.5, lambda: _serve_on(port, standin))
    later.start()
    try:
        assert sender.send_texts([row_id]) == []
        assert _status(sessions, row_id) == "sent"
        assert [m["text"]["content"] for m in standin.inbox(openid)] == ["坐席回复：材料已收到。"]
    finally:
        later.join()
        _servers.pop().shutdown()


def test_a_genuine_system_busy_answer_is_retried_and_delivered_once(sessions, standin, redis_client):
    openid = _resident(standin)
    with served(standin.app) as base:
        sender = WechatSender(sessions, _api(redis_client, base))
        row_id = _queued(sessions, openid, "您好，已为您转人工。")
        standin.inject(-1)  # WeChat's own "system busy" answer: it did not take the message
        assert sender.send_texts([row_id]) == []
        assert _status(sessions, row_id) == "sent"
        assert [m["text"]["content"] for m in standin.inbox(openid)] == ["您好，已为您转人工。"]


_servers: list = []


def _serve_on(port: int, standin: WechatStandin) -> None:
    server = make_server("127.0.0.1", port, standin.app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _servers.append(server)
