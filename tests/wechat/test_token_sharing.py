"""The access_token (``/cgi-bin/stable_token``) is fetched once and shared by separate worker
processes through real Redis; a refused token is replaced once, force_refresh only when WeChat
hands back the very token it refused, within WeChat's budget (20 a day, 30 s apart)."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid

import pytest
import redis
import requests

from tests.serving import serve
from tools.wechat_standin import Resident, WechatStandin, Window
from web.wechat_api.token import AccessTokenStore, TokenUnavailable

from .conftest import WECHAT_REDIS_URL

WORKER = """
import sys, time
import redis
from web.wechat_api import WechatApi
redis_url, api_base, app_id, start, openid = sys.argv[1:6]
api = WechatApi(redis.Redis.from_url(redis_url), api_base, app_id, "secret")
while time.time() < float(start):
    time.sleep(0.005)
for i in range(10):
    api.send_text(openid, f"{app_id} #{i}")
print("ok")
"""


def open_window(standin: WechatStandin, openid: str) -> None:
    """The resident wrote to the account: customer-service messages may go (plenty of them)."""
    with standin.lock:
        resident = standin.residents.setdefault(openid, Resident())
        if hasattr(resident, "grants"):  # the stand-in keeps a grant per scene
            resident.grants["message"] = Window(time.time() + 3600, 1000)
        else:
            resident.window = Window(time.time() + 3600, 1000)


def run_workers(api_base: str, app_id: str, openid: str, count: int = 2) -> None:
    start = str(time.time() + 1.5)  # both processes fire at the same moment
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, WECHAT_REDIS_URL, api_base, app_id, start, openid],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(count)
    ]
    for proc in procs:
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0 and out.strip() == "ok", err


def test_two_worker_processes_share_one_token_and_refresh_it_once(redis_url):
    app_id = "wx_share_" + uuid.uuid4().hex[:8]
    standin = WechatStandin("http://127.0.0.1:9/unused", "t", app_id, "secret")
    server = serve(standin.app)
    api_base = f"http://127.0.0.1:{server.server_port}"
    openid = "oShare" + uuid.uuid4().hex[:10]
    try:
        open_window(standin, openid)
        run_workers(api_base, app_id, openid)
        assert standin.token_fetches == 1
        assert len(standin.inbox(openid)) == 20 and all(c["errcode"] == 0 for c in standin.api_calls)

        standin.revoke_tokens()  # every process now holds a refused token (40001)
        run_workers(api_base, app_id, openid)
        assert standin.token_fetches == 2  # one refresh, not one per process
        assert len(standin.inbox(openid)) == 40
        refused = [c for c in standin.api_calls if c["errcode"]]
        assert 1 <= len(refused) <= 2 and {c["errcode"] for c in refused} == {40001}
        assert standin.force_refreshes == []  # a normal-mode call was enough: no force_refresh spent
    finally:
        server.shutdown()


def test_a_token_wechat_refuses_but_still_hands_out_is_force_refreshed_once_for_all_processes(redis_url):
    """Both processes see 40001 for the shared token; WeChat's normal mode gives the same token back,
    so one force_refresh is needed — made by one process, the other re-reads the shared token."""
    app_id = "wx_force_" + uuid.uuid4().hex[:8]
    standin = WechatStandin("http://127.0.0.1:9/unused", "t", app_id, "secret")
    server = serve(standin.app)
    api_base = f"http://127.0.0.1:{server.server_port}"
    openid = "oForce" + uuid.uuid4().hex[:10]
    try:
        open_window(standin, openid)
        run_workers(api_base, app_id, openid)
        shared = redis.Redis.from_url(WECHAT_REDIS_URL).get(f"wechat:access_token:{app_id}").decode()
        standin.spoil_stable_token()  # refused by every call, yet normal mode keeps handing it out
        run_workers(api_base, app_id, openid, count=3)
        assert len(standin.force_refreshes) == 1  # not one per process
        assert len(standin.inbox(openid)) == 50
        now_shared = redis.Redis.from_url(WECHAT_REDIS_URL).get(f"wechat:access_token:{app_id}").decode()
        assert now_shared != shared and now_shared == standin.stable_token
    finally:
        server.shutdown()


@pytest.fixture()
def standin_api():
    app_id = "wx_budget_" + uuid.uuid4().hex[:8]
    standin = WechatStandin("http://127.0.0.1:9/unused", "t", app_id, "secret")
    server = serve(standin.app)
    try:
        yield standin, f"http://127.0.0.1:{server.server_port}", app_id
    finally:
        server.shutdown()


def test_force_refresh_stays_within_the_shared_daily_budget(standin_api, redis_url):
    standin, api_base, app_id = standin_api
    standin.force_interval = 0.0  # the stand-in's 30 s spacing off: the platform's own budget is the subject
    client = redis.Redis.from_url(WECHAT_REDIS_URL)
    store = AccessTokenStore(client, requests.Session(), api_base, app_id, "secret", force_per_day=3, force_interval=0)
    other = AccessTokenStore(client, requests.Session(), api_base, app_id, "secret", force_per_day=3, force_interval=0)
    token = store.get()
    for n in range(3):
        standin.spoil_stable_token()
        token = (store if n % 2 else other).refresh(token)  # two processes spend one budget
        assert token == standin.stable_token
    standin.spoil_stable_token()
    with pytest.raises(TokenUnavailable):
        store.refresh(token)
    assert len(standin.force_refreshes) == 3 and store.forced_today() == 3
    assert store.refresh("some older token") == token  # already replaced: re-read, no call to WeChat


def test_force_refreshes_are_30_seconds_apart(standin_api, redis_url):
    standin, api_base, app_id = standin_api
    store = AccessTokenStore(redis.Redis.from_url(WECHAT_REDIS_URL), requests.Session(), api_base, app_id, "secret")
    token = store.get()
    standin.spoil_stable_token()
    token = store.refresh(token)
    standin.spoil_stable_token()
    with pytest.raises(TokenUnavailable, match="next in"):
        store.refresh(token)  # within 30 s of the last force_refresh: WeChat would not refresh anyway
    assert len(standin.force_refreshes) == 1


def stable(api_base: str, **body):
    return requests.post(api_base + "/cgi-bin/stable_token", json=body, timeout=5).json()


def test_the_standin_plays_stable_token_by_wechats_rules(standin_api):
    standin, api_base, app_id = standin_api
    ok = {"grant_type": "client_credential", "appid": app_id, "secret": "secret"}
    assert stable(api_base, **{**ok, "grant_type": "password"})["errcode"] == 40002
    assert stable(api_base, **{**ok, "appid": "wx_other"})["errcode"] == 40013
    assert stable(api_base, **{**ok, "secret": "wrong"})["errcode"] == 40125
    first = stable(api_base, **ok)
    assert stable(api_base, **ok)["access_token"] == first["access_token"]  # normal mode: the same token
    forced = stable(api_base, **ok, force_refresh=True)
    assert forced["access_token"] != first["access_token"]
    assert standin._check_token(first["access_token"]) == 0  # the old one: 5 more minutes
    assert standin.tokens[first["access_token"]] <= time.time() + 300
    again = stable(api_base, **ok, force_refresh=True)  # within 30 s: not refreshed
    assert again["access_token"] == forced["access_token"]
    standin.force_interval = 0.0
    stable(api_base, **ok, force_refresh=True)  # a second refresh 30 s on ends the first token at once
    assert standin._check_token(first["access_token"]) == 40001
    for _ in range(18):
        assert "access_token" in stable(api_base, **ok, force_refresh=True)
    assert stable(api_base, **ok, force_refresh=True)["errcode"] == 45009  # the 21st of the day
    assert "access_token" in stable(api_base, **ok)  # normal mode still answers
