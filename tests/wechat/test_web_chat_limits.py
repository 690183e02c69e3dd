"""The web chat's limits (docs/security.md, section 5): per client address, whatever sender a
request names (web/channels/ratelimit.py), and a bound on web chat turns at a time per process so
that a flood of them leaves threads for /wechat (web/channels/admission.py).

The per-address tests run the app in-process on real Redis and a Rasa stand-in (the Socket.IO
channel's over real HTTP, with python-socketio's client); the admission test floods the real web
processes (the Procfile's gunicorn) of the WeChat channel's stack.
"""

from __future__ import annotations

import dataclasses
import re
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack

import pytest
import redis
import requests

from common import settings as app_settings
from common.migrate import upgrade
from tests.integration.conftest import ALLOWED_ORIGIN
from tests.integration.test_socketio_channel import Resident
from tests.serving import served
from tools import stack
from tools.wechat_standin import message_xml, wechat_signature
from web.app import create_app
from web.texts import text as channel_text

LIMIT = 5
CLIENT, NEIGHBOUR, PROXY = "203.0.113.7", "198.51.100.9", "10.0.0.2"
TOKEN = "limits-token"


@pytest.fixture(scope="module")
def db_url(tmp_path_factory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('limits') / 'platform.db'}"
    upgrade("platform", url)
    return url


@pytest.fixture
def make_app(db_url, redis_client, redis_url, rasa_standin):
    """``make_app(trusted_proxies=…, limiter_redis=…, …settings)``: a fresh app on real Redis."""

    def make(trusted_proxies: int = 0, limiter_redis: str | None = None, **more):
        config = dataclasses.replace(
            app_settings.load(),
            database_url=db_url,
            redis_url=limiter_redis or redis_url,
            rasa_urls=(rasa_standin.url,),
            secret_key="limits",
            wechat_token=TOKEN,
            wechat_encoding_aes_key="",
            wechat_api_base="http://127.0.0.1:9",
            log_level="CRITICAL",
            resident_rate_limit=1000,  # the per-sender limit is not under test here
            web_chat_address_limit=f"{LIMIT}/minute",
            trusted_proxies=trusted_proxies,
            **more,
        )
        return create_app(config)

    return make


@pytest.fixture
def make_client(make_app):
    """``make_client(trusted_proxies=…, limiter_redis=…)``: a test client of a fresh app on real Redis."""
    return lambda **options: make_app(**options).test_client()


@pytest.fixture
def socket_app(make_app):
    """``socket_app(**settings)``: the URL of a fresh app with /socket.io (SOCKETIO_CHANNEL), served over
    HTTP behind one trusted proxy (the test), so ``X-Forwarded-For`` names the client's address."""
    with ExitStack() as apps:
        yield lambda **settings: apps.enter_context(
            served(
                make_app(trusted_proxies=1, socketio_channel=True, chat_allowed_origins=(ALLOWED_ORIGIN,), **settings)
            )
        )


def resident_at(url: str, address: str) -> Resident:
    """rasa-webchat's way in (python-socketio's client), from ``address`` as the proxy says."""
    return Resident(url, headers={"X-Forwarded-For": address})


def say(client, remote: str, forwarded: str | None = None, sender: str | None = None):
    return client.post(
        "/webhooks/rest/webhook",
        json={"sender": sender or f"s-{uuid.uuid4().hex[:10]}", "message": "你好"},
        environ_base={"REMOTE_ADDR": remote},
        headers={"X-Forwarded-For": forwarded} if forwarded else {},
    )


def test_one_address_is_limited_whatever_sender_it_names(make_client):
    client = make_client()
    assert [say(client, CLIENT).status_code for _ in range(LIMIT)] == [200] * LIMIT  # a new sender each time
    refused = say(client, CLIENT)
    assert refused.status_code == 429
    assert refused.get_json() == {"error": "rate_limited", "message": channel_text("address_limited")}
    assert re.search(r"[\u4e00-\u9fff]", refused.get_json()["message"])
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert say(client, NEIGHBOUR).status_code == 200  # another address is not touched


def test_forwarded_for_is_not_believed_without_a_trusted_proxy(make_client):
    client = make_client(trusted_proxies=0)
    for n in range(LIMIT):  # a client that invents an address per request is still one address
        assert say(client, CLIENT, forwarded=f"192.0.2.{n}").status_code == 200
    assert say(client, CLIENT, forwarded="192.0.2.200").status_code == 429


def test_forwarded_for_names_the_client_behind_the_trusted_proxy(make_client):
    client = make_client(trusted_proxies=1)
    for _ in range(LIMIT):  # every request reaches the app from the proxy's address
        assert say(client, PROXY, forwarded=CLIENT).status_code == 200
    assert say(client, PROXY, forwarded=CLIENT).status_code == 429
    assert say(client, PROXY, forwarded=NEIGHBOUR).status_code == 200
    # What the client put in front of the proxy's own entry is not believed: the last hop counts
    assert say(client, PROXY, forwarded=f"192.0.2.99, {CLIENT}").status_code == 429


def test_an_ipv6_client_counts_by_its_64(make_client):
    client = make_client()
    for n in range(LIMIT):
        assert say(client, f"2001:db8:1:2::{n + 1}").status_code == 200
    assert say(client, "2001:db8:1:2:ffff::9").status_code == 429
    assert say(client, "2001:db8:1:3::1").status_code == 200


def test_sign_in_pages_count_and_answer_with_a_page_while_polling_and_wechat_do_not_count(make_client):
    client = make_client()
    for _ in range(LIMIT):
        say(client, CLIENT)
    page = client.get("/identity/", environ_base={"REMOTE_ADDR": CLIENT})
    assert page.status_code == 429 and channel_text("address_limited") in page.get_data(as_text=True)
    assert page.headers["Retry-After"]
    signout = client.post("/chat/signout", environ_base={"REMOTE_ADDR": CLIENT})
    assert signout.status_code == 429 and "text/html" in signout.content_type
    # The open /chat page polls its mailbox every few seconds, and WeChat's servers are few addresses
    assert client.get("/chat/messages", environ_base={"REMOTE_ADDR": CLIENT}).status_code == 403  # no token
    assert client.get("/chat", environ_base={"REMOTE_ADDR": CLIENT}).status_code == 200
    for _ in range(LIMIT + 2):
        ts, nonce = str(int(time.time())), uuid.uuid4().hex[:8]
        body = message_xml(
            {"ToUserName": "gh", "FromUserName": f"o{uuid.uuid4().hex[:20]}", "CreateTime": int(ts), "MsgType": "image"}
        )
        resp = client.post(
            "/wechat",
            query_string={"signature": wechat_signature(TOKEN, ts, nonce), "timestamp": ts, "nonce": nonce},
            data=body.encode(),
            environ_base={"REMOTE_ADDR": CLIENT},
        )
        assert resp.status_code == 200, resp.get_data(as_text=True)


def test_without_redis_every_message_under_the_limit_is_answered(make_client):
    dead = f"redis://127.0.0.1:{stack.free_port()}/0"
    with pytest.raises(redis.ConnectionError):
        redis.Redis.from_url(dead).ping()
    client = make_client(limiter_redis=dead)
    answered = [say(client, CLIENT) for _ in range(LIMIT)]
    assert [r.status_code for r in answered] == [200] * LIMIT, answered[-1].get_data(as_text=True)
    assert say(client, CLIENT).status_code == 429  # each process keeps counting in its memory


def test_socket_io_messages_count_with_the_rest_channels_requests_per_address(socket_app, rasa_standin):
    """rasa-webchat's messages share the address's budget with its REST requests: one address cannot
    get round the limit by switching channels, and what is over it never reaches the bot."""
    url = socket_app()
    for _ in range(2):
        rest = requests.post(
            url + "/webhooks/rest/webhook",
            json={"sender": f"s-{uuid.uuid4().hex[:10]}", "message": "你好"},
            headers={"X-Forwarded-For": CLIENT},
            timeout=10,
        )
        assert rest.status_code == 200
    resident, neighbour = resident_at(url, CLIENT), resident_at(url, NEIGHBOUR)
    try:
        for n in range(LIMIT - 2):
            resident.say(f"第{n}条")
            assert resident.hears() == {"text": f"收到：第{n}条"}
        heard_before = len(rasa_standin.received)
        resident.say("再问一句")
        assert resident.hears() == {"text": channel_text("address_limited")}
        assert re.search(r"[\u4e00-\u9fff]", channel_text("address_limited"))
        assert "再问一句" not in [r["message"] for r in rasa_standin.received[heard_before:]]
        neighbour.say("你好")  # another address is not touched
        assert neighbour.hears() == {"text": "收到：你好"}
    finally:
        resident.close()
        neighbour.close()
    rest = requests.post(
        url + "/webhooks/rest/webhook",
        json={"sender": f"s-{uuid.uuid4().hex[:10]}", "message": "你好"},
        headers={"X-Forwarded-For": CLIENT},
        timeout=10,
    )
    assert rest.status_code == 429  # and the REST channel sees the Socket.IO messages counted


def test_socket_io_turns_beyond_the_slots_get_the_busy_line_at_once(socket_app, rasa_standin):
    """WEB_CHAT_SLOTS holds for Socket.IO turns too: with one slot taken by a slow turn, another
    resident's message is answered at once with the web chat's busy line, and goes through after."""
    url = socket_app(web_chat_slots=1)
    slow, other = resident_at(url, CLIENT), resident_at(url, NEIGHBOUR)
    try:
        before = len(rasa_standin.received)
        slow.say("你好")
        slow.hears()
        rasa_standin.behave(rasa_standin.received[before]["sender"], delay=3.0)
        slow.say("慢慢来")  # holds the one slot for 3 s
        time.sleep(0.5)
        asked = time.monotonic()
        other.say("你好")
        assert other.hears() == {"text": channel_text("web_chat_busy")}
        assert time.monotonic() - asked < 1.5  # refused at once, not after the slow turn
        assert slow.hears() == {"text": "收到：慢慢来"}
        other.say("你好")
        assert other.hears() == {"text": "收到：你好"}
    finally:
        slow.close()
        other.close()


# -- admission control: the real web processes ---------------------------------------------------


def test_the_default_slots_leave_at_least_half_of_gunicorns_threads_free():
    threads = int(re.search(r"--threads (\d+)", stack.procfile()["web"]).group(1))
    assert 1 <= app_settings.Settings.web_chat_slots <= threads // 2


def test_web_chat_turns_beyond_the_slots_are_refused_while_wechat_is_served(wechat_stack):
    """The stack's web runs the Procfile's gunicorn (2 processes, 8 threads each) with the default
    WEB_CHAT_SLOTS: a flood of slow web chat turns gets at most the slots, the rest a quick 503,
    and a WeChat message sent in the middle of it is answered before any admitted turn ends."""
    slots = app_settings.Settings.web_chat_slots * 2  # per process, two processes
    flood = 3 * slots
    senders = [f"flood-{uuid.uuid4().hex[:10]}" for _ in range(flood)]
    for sender in senders:
        wechat_stack.rasa.behave(f"web:{sender}", delay=6.0)
    finished: list[float] = []

    def web_turn(sender: str) -> int:
        resp = requests.post(
            wechat_stack.url + "/webhooks/rest/webhook", json={"sender": sender, "message": "你好"}, timeout=30
        )
        if resp.status_code == 503:
            assert resp.json() == {"error": "busy", "message": channel_text("web_chat_busy")}
            assert int(resp.headers["Retry-After"]) > 0
        else:
            finished.append(time.monotonic())
        return resp.status_code

    with ThreadPoolExecutor(flood) as pool:
        turns = [pool.submit(web_turn, sender) for sender in senders]
        time.sleep(1.0)  # the flood is in: every slot taken, its turns waiting on the slow bot
        openid = "o" + uuid.uuid4().hex[:27]
        delivery = wechat_stack.standin.send_text(openid, "你好")
        answered_at = time.monotonic()
        statuses = Counter(t.result() for t in turns)
    assert (delivery.status, delivery.attempts, delivery.reply) == (200, 1, "收到：你好"), delivery  # no retry
    assert statuses[200] <= slots and statuses[503] >= flood - slots, statuses
    assert statuses[200] + statuses[503] == flood, statuses
    assert answered_at < min(finished)  # /wechat did not wait for a web chat turn to free a thread
