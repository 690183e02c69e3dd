"""The access_token from ``/cgi-bin/stable_token``, fetched once and shared by every process through Redis.

WeChat's stable token (getStableAccessToken, docs/wechat.md "Access token") has two modes. In
normal mode a call returns the token in force, the same one until it is within 5 minutes of
expiring, when a new one is issued and the old one stays valid to its end. ``force_refresh``
issues a new token at once; WeChat allows it 20 times a day, and a second one within 30 s
does not refresh.

Here the token lives in one Redis key. A process that finds it missing fetches (normal mode)
under a Redis lock; the others wait and read what it stored. The key expires
``REFRESH_MARGIN`` seconds before WeChat's expiry, so the token is renewed inside WeChat's
5-minute handover. A token WeChat refused (40001/42001) is handled by :meth:`refresh`:

* the shared token is no longer the refused one: another process already replaced it, and
  the caller just reads it again (no call to WeChat);
* otherwise, under the lock, a normal-mode call first (after an AppSecret reset, an expiry or
  a force refresh elsewhere, WeChat hands out another token this way);
* only when WeChat gives back the very token it refused is ``force_refresh`` used, and then
  only within a budget shared by every process (``FORCE_PER_DAY`` a day, Asia/Shanghai days,
  ``FORCE_INTERVAL`` seconds apart, on Redis's clock); past it :class:`TokenUnavailable`.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from zoneinfo import ZoneInfo

import redis
import requests

from web.wechat_api.errors import RateLimited, Transient, raise_for

log = logging.getLogger(__name__)

REFRESH_MARGIN = 300
TIMEOUT = (3.0, 10.0)
FORCE_PER_DAY = 20  # WeChat: force_refresh "该模式限制每天20次"
FORCE_INTERVAL = 30.0  # seconds; WeChat: "调用时间隔至少为30s，否则不会刷新"
WECHAT_TZ = ZoneInfo("Asia/Shanghai")  # WeChat's daily limits are counted per Beijing-time day
LOCK_SECONDS = 40  # longer than two token calls (connect 3 s + read 10 s each)

# KEYS: the day's force count, the time of the last force refresh. ARGV: per day, interval (µs).
# 1: allowed (and counted); 0: the day's budget is used; -n: n µs until the next one is allowed.
_TAKE_FORCE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local last = tonumber(redis.call('GET', KEYS[2]) or '0')
local interval = tonumber(ARGV[2])
if now - last < interval then return -(interval - (now - last)) end
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
if used >= tonumber(ARGV[1]) then return 0 end
redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], 172800)
redis.call('SET', KEYS[2], tostring(now), 'EX', 86400)
return 1
"""


class TokenUnavailable(Transient):
    """No usable token now, so nothing was sent; try again later. Either WeChat keeps refusing
    the token it hands out and the shared force_refresh budget (20 a day, 30 s apart) allows no
    refresh now (errcode -1), or the token endpoint itself answered a quota error (45009, 45011:
    the token's quota, not the message's; a sender must not read it as its daily message quota)."""


class AccessTokenStore:
    def __init__(
        self,
        client: redis.Redis,
        http: requests.Session,
        api_base: str,
        app_id: str,
        app_secret: str,
        force_per_day: int = FORCE_PER_DAY,
        force_interval: float = FORCE_INTERVAL,
    ) -> None:
        self.redis, self.http, self.api_base = client, http, api_base
        self.app_id, self.app_secret = app_id, app_secret
        self.force_per_day, self.force_interval = force_per_day, force_interval
        self.key = f"wechat:access_token:{app_id}"
        self._take_force = client.register_script(_TAKE_FORCE)

    def get(self) -> str:
        cached = self._shared()
        if cached:
            return cached
        with self._lock():
            cached = self._shared()  # another process may have fetched it while we waited
            if cached:
                return cached
            return self._store(*self._fetch(force=False))

    def refresh(self, rejected: str) -> str:
        """WeChat refused ``rejected`` (40001/42001): the token to use now (see the module's docstring)."""
        current = self._shared()
        if current and current != rejected:
            return current  # another process already replaced it
        with self._lock():
            current = self._shared()
            if current and current != rejected:
                return current
            token, expires_in = self._fetch(force=False)
            if token == rejected:
                self._spend_force()
                token, expires_in = self._fetch(force=True)
                log.warning("wechat access_token force-refreshed", extra={"expires_in": expires_in})
            return self._store(token, expires_in)

    def forced_today(self) -> int:
        """force_refresh calls made today by every process (the budget's count)."""
        return int(self.redis.get(self._force_day_key()) or 0)

    # -- inside ------------------------------------------------------------------------------------
    def _shared(self) -> str | None:
        cached = self.redis.get(self.key)
        return cached.decode("ascii") if cached else None

    def _lock(self):
        return self.redis.lock(self.key + ":lock", timeout=LOCK_SECONDS, blocking_timeout=LOCK_SECONDS)

    def _store(self, token: str, expires_in: int) -> str:
        self.redis.set(self.key, token, ex=max(30, expires_in - REFRESH_MARGIN))
        log.info("wechat access_token fetched", extra={"expires_in": expires_in})
        return token

    def _force_day_key(self) -> str:
        return f"{self.key}:force:{datetime.now(WECHAT_TZ):%Y%m%d}"

    def _spend_force(self) -> None:
        allowed = int(
            self._take_force(
                keys=[self._force_day_key(), self.key + ":force:last"],
                args=[self.force_per_day, int(self.force_interval * 1_000_000)],
            )
        )
        if allowed == 1:
            return
        why = "used up today" if allowed == 0 else f"next in {-allowed / 1_000_000:.0f} s"
        log.error("wechat access_token refused and no force_refresh allowed", extra={"why": why})
        raise TokenUnavailable(-1, f"token: WeChat refuses its own token, force_refresh {why}")

    def _fetch(self, force: bool) -> tuple[str, int]:
        body = {"grant_type": "client_credential", "appid": self.app_id, "secret": self.app_secret}
        if force:
            body["force_refresh"] = True
        try:
            resp = self.http.post(
                self.api_base + "/cgi-bin/stable_token",
                timeout=TIMEOUT,
                data=json.dumps(body),
                headers={"Content-Type": "application/json"},
            )
            answer = resp.json()
        except (requests.RequestException, ValueError) as exc:
            raise Transient(-1, f"token endpoint unreachable: {type(exc).__name__}") from exc
        try:
            raise_for(int(answer.get("errcode", 0) or 0), str(answer.get("errmsg", "")))
        except RateLimited as exc:
            raise TokenUnavailable(exc.errcode, f"token: {exc.errmsg}") from exc
        return str(answer["access_token"]), int(answer.get("expires_in", 7200))
