"""The access_token is fetched once and shared by separate worker processes through real Redis."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid

from tests.serving import serve
from tools.wechat_standin import WechatStandin

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
        with standin.lock:  # the resident wrote to the account: a customer-service window is open
            from tools.wechat_standin import Resident, Window

            standin.residents[openid] = Resident(window=Window(time.time() + 3600, 1000))
        run_workers(api_base, app_id, openid)
        assert standin.token_fetches == 1
        assert len(standin.inbox(openid)) == 20 and all(c["errcode"] == 0 for c in standin.api_calls)

        standin.revoke_tokens()  # every process now holds a refused token (40001)
        run_workers(api_base, app_id, openid)
        assert standin.token_fetches == 2  # one refresh, not one per process
        assert len(standin.inbox(openid)) == 40
        refused = [c for c in standin.api_calls if c["errcode"]]
        assert 1 <= len(refused) <= 2 and {c["errcode"] for c in refused} == {40001}
    finally:
        server.shutdown()
