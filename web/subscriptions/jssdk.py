"""The JS-SDK configuration the opt-in page needs for WeChat's subscribe button (``wx-open-subscribe``).

WeChat's open tags work only after ``wx.config`` with a signature: sha1 over
``jsapi_ticket=…&noncestr=…&timestamp=…&url=…`` (the page's URL without its ``#`` part). The
ticket comes from ``/cgi-bin/ticket/getticket?type=jsapi`` with the shared access_token and lives
7200 s; it is kept in Redis for every process until 5 minutes before it expires (a new fetch does
not invalidate earlier tickets, so two processes fetching at once is harmless).
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass

import redis
import requests

from web.wechat_api import WechatApi, WechatApiError
from web.wechat_api.errors import raise_for

TICKET_MARGIN = 300  # seconds before WeChat's expiry when the stored ticket is dropped


@dataclass(frozen=True)
class JsConfig:
    app_id: str
    timestamp: int
    nonce: str
    signature: str


def signature(ticket: str, nonce: str, timestamp: int, url: str) -> str:
    text = f"jsapi_ticket={ticket}&noncestr={nonce}&timestamp={timestamp}&url={url.split('#', 1)[0]}"
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


class JsSdk:
    def __init__(self, client: redis.Redis, api: WechatApi, app_id: str) -> None:
        self.redis, self.api, self.app_id = client, api, app_id
        self.key = f"wechat:jsapi_ticket:{app_id}"

    def ticket(self) -> str:
        stored = self.redis.get(self.key)
        if stored:
            return stored.decode("utf-8")
        try:
            answer = self.api.http.get(
                self.api.api_base + "/cgi-bin/ticket/getticket",
                params={"access_token": self.api.tokens.get(), "type": "jsapi"},
                timeout=self.api.timeout,
            ).json()
        except (requests.RequestException, ValueError) as exc:
            raise WechatApiError(-1, f"network: {type(exc).__name__}") from exc
        if not isinstance(answer, dict):
            raise WechatApiError(-1, "getticket: not WeChat's answer")
        raise_for(int(answer.get("errcode", 0) or 0), str(answer.get("errmsg", "")))
        ticket = str(answer.get("ticket") or "")
        if not ticket:
            raise WechatApiError(-1, "getticket: no ticket in WeChat's answer")
        ttl = max(60, int(answer.get("expires_in", 7200) or 7200) - TICKET_MARGIN)
        self.redis.set(self.key, ticket, ex=ttl)
        return ticket

    def config(self, url: str) -> JsConfig:
        nonce, timestamp = secrets.token_hex(8), int(time.time())
        return JsConfig(self.app_id, timestamp, nonce, signature(self.ticket(), nonce, timestamp, url))
