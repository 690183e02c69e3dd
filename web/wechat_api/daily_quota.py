"""The account's daily quota per message kind, shared by every process through Redis.

WeChat limits how many messages of some kinds an account may send a day (docs/wechat.md,
"Daily quotas"): template messages (100,000 a day for a new account, more with many
followers, as the MP's 开发 → 接口权限 page shows) and subscription notices. A campaign that
runs into the limit would have WeChat answer 45009 for every further message; instead the
sender takes one unit per message here first, and when today's units are used it waits for
the next day (web/policy/delivery.py). A day is a Beijing-time day, WeChat's.

Kinds are the message kinds' names: ``template`` and ``subscribe`` (a kind without a limit —
customer-service messages, whose limit is per resident and per 48 hours, web/outbound — is never
counted). Limits come from ``WECHAT_DAILY_QUOTA`` (``template=100000,subscribe=100000``).
A unit taken for a message that then never left (the claim was lost) is given back; one taken
for a message WeChat refused stays used, as WeChat counts the call.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

import redis

from web.wechat_api.token import WECHAT_TZ

DEFAULT_LIMITS = "template=100000,subscribe=100000"
KEEP_SECONDS = 3 * 86400

# KEYS: the day's count. ARGV: the limit. 1: taken; 0: the day's quota is used.
_TAKE = """
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
if used >= tonumber(ARGV[1]) then return 0 end
redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[2]))
return 1
"""


def parse_limits(text: str) -> dict[str, int]:
    """``template=100000,subscribe=50000`` → ``{"template": 100000, "subscribe": 50000}``."""
    limits: dict[str, int] = {}
    for part in text.split(","):
        if not part.strip():
            continue
        kind, _, number = part.partition("=")
        value = int(number.strip())
        if value < 0:
            raise ValueError(f"WECHAT_DAILY_QUOTA: {kind.strip()} must be 0 or more")
        limits[kind.strip()] = value
    return limits


def beijing_now() -> datetime:
    """Now as Beijing wall-clock time (naive), the clock WeChat's days are counted on."""
    return datetime.now(WECHAT_TZ).replace(tzinfo=None)


class DailyQuota:
    def __init__(
        self, client: redis.Redis, app_id: str, limits: Mapping[str, int], clock: Callable[[], datetime] = beijing_now
    ) -> None:
        self.redis, self.limits, self.clock = client, dict(limits), clock
        self.prefix = f"wechat:daily:{app_id}"
        self._take = client.register_script(_TAKE)

    def _key(self, kind: str) -> str:
        return f"{self.prefix}:{kind}:{self.clock():%Y%m%d}"

    def take(self, kind: str) -> bool:
        """One message of ``kind`` may go today (and is counted); False: today's quota is used."""
        if kind not in self.limits:
            return True
        return bool(int(self._take(keys=[self._key(kind)], args=[self.limits[kind], KEEP_SECONDS])))

    def give_back(self, kind: str) -> None:
        """A unit taken for a message that never left."""
        if kind in self.limits:
            self.redis.decr(self._key(kind))

    def exhaust(self, kind: str) -> None:
        """WeChat answered 45009 for ``kind``: nothing more of it goes today, whatever our count says."""
        if kind in self.limits:
            self.redis.set(self._key(kind), self.limits[kind], ex=KEEP_SECONDS)

    def used(self, kind: str) -> int:
        return int(self.redis.get(self._key(kind)) or 0)
