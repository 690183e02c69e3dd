"""What the resident reads: the WeChat API client's bodies carry Chinese as UTF-8, not as
``\\uXXXX`` escapes (which WeChat shows literally; the stand-in reads them the same way)."""

from __future__ import annotations

import json
import time
import uuid

import redis
import requests

from tests.serving import serve
from tools.wechat_standin import Resident, WechatStandin, Window, read_api_json
from web.wechat_api import WechatApi

from .conftest import WECHAT_REDIS_URL

TEXT = "王阿姨您好：您的预约已办好，12月1日上午9点请带上户口本和身份证😊"


def test_the_standin_reads_unicode_escapes_as_wechat_does():
    assert read_api_json(json.dumps({"c": "您好"}, ensure_ascii=False).encode()) == {"c": "您好"}
    assert read_api_json(json.dumps({"c": "您好"}).encode()) == {"c": "\\u60a8\\u597d"}
    assert read_api_json(json.dumps({"c": "C:\\u"}).encode()) == {"c": "C:\\u"}  # an escaped backslash stays one


def test_customer_service_and_template_messages_reach_the_resident_as_written():
    app_id = "wx_enc_" + uuid.uuid4().hex[:8]
    standin = WechatStandin("http://127.0.0.1:9/unused", "t", app_id, "secret", receipt_delay=3600)
    server = serve(standin.app)
    openid = "o" + uuid.uuid4().hex[:27]
    with standin.lock:  # the resident wrote a minute ago: the customer-service window is open
        standin.residents[openid] = Resident(grants={"message": Window(time.time() + 3600, 5)})
    api_base = f"http://127.0.0.1:{server.server_port}"
    try:
        api = WechatApi(redis.Redis.from_url(WECHAT_REDIS_URL), api_base, app_id, "secret", retries=0)
        api.send_text(openid, TEXT)
        api.send_template(openid, "TPL_notice_1", {"thing1": "您可能可以领高龄津贴", "thing2": "回复“申请”即可办理"})
        custom, template = standin.inbox(openid)
        assert custom["text"]["content"] == TEXT
        assert template["data"] == {
            "thing1": {"value": "您可能可以领高龄津贴"},
            "thing2": {"value": "回复“申请”即可办理"},
        }
        # The stand-in is no softer than WeChat: the same call with escaped Chinese arrives garbled.
        token = next(iter(standin.tokens))  # the one the client fetched
        requests.post(
            api_base + "/cgi-bin/message/custom/send",
            params={"access_token": token},
            timeout=5,
            json={"touser": openid, "msgtype": "text", "text": {"content": "您好"}},
        )
        assert standin.inbox(openid)[-1]["text"]["content"] == "\\u60a8\\u597d"
    finally:
        server.shutdown()
