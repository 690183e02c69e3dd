"""The access_token, fetched once and shared by every process through Redis.

Each call to WeChat's token endpoint issues a new token and starts the old one's
last five minutes, so processes that each fetched their own would keep
invalidating one another. Here the token lives in one Redis key; a process that
finds it missing fetches under a Redis lock (the others wait and read what it
stored). The key expires ``REFRESH_MARGIN`` seconds before WeChat's expiry, so the
token is renewed early. A token WeChat reports invalid (40001/42001) is dropped
only if it is still the stored one — a process holding a stale token never throws
away the fresh token another process just fetched.
"""

from __future__ import annotations

import logging

import redis
import requests

from web.wechat_api.errors import Transient, raise_for

log = logging.getLogger(__name__)

REFRESH_MARGIN = 300
TIMEOUT = (3.0, 10.0)

_DROP_IF_SAME = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


class AccessTokenStore:
    def __init__(
        self, client: redis.Redis, http: requests.Session, api_base: str, app_id: str, app_secret: str
    ) -> None:
        self.redis, self.http, self.api_base = client, http, api_base
        self.app_id, self.app_secret = app_id, app_secret
        self.key = f"wechat:access_token:{app_id}"
        self._drop_if_same = client.register_script(_DROP_IF_SAME)

    def get(self) -> str:
        cached = self.redis.get(self.key)
        if cached:
            return cached.decode("ascii")
        with self.redis.lock(self.key + ":lock", timeout=30, blocking_timeout=30):
            cached = self.redis.get(self.key)  # another process may have fetched it while we waited
            if cached:
                return cached.decode("ascii")
            token, expires_in = self._fetch()
            self.redis.set(self.key, token, ex=max(60, expires_in - REFRESH_MARGIN))
            log.info("wechat access_token fetched", extra={"expires_in": expires_in})
            return token

    def invalidate(self, token: str) -> None:
        """WeChat refused ``token``: forget it, unless another process already replaced it."""
        self._drop_if_same(keys=[self.key], args=[token])

    def _fetch(self) -> tuple[str, int]:
        try:
            resp = self.http.get(
                self.api_base + "/cgi-bin/token",
                timeout=TIMEOUT,
                params={"grant_type": "client_credential", "appid": self.app_id, "secret": self.app_secret},
            )
            body = resp.json()
        except (requests.RequestException, ValueError) as exc:
            raise Transient(-1, f"token endpoint unreachable: {type(exc).__name__}") from exc
        raise_for(int(body.get("errcode", 0) or 0), str(body.get("errmsg", "")))
        return str(body["access_token"]), int(body.get("expires_in", 7200))
