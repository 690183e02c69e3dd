"""Push pacing: a send rate shared by every worker, in Redis (GCRA: evenly spaced slots).

``reserve`` books the next free slot of a key atomically (a Lua script using Redis's
own clock) and says how long to wait for it; slots are ``1 / rate`` seconds apart, so
however many workers send, starts never exceed the rate. A slot further away than
``horizon`` is not booked: the caller sleeps and asks again (paused campaigns stop
booking at once).
"""

from __future__ import annotations

import time

import redis

_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local horizon = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local wait = tat - now
if wait > horizon then return -wait end
redis.call('SET', KEYS[1], tostring(tat + interval), 'PX', math.floor((tat + interval - now) / 1000) + 1000)
return wait
"""


class PushPacer:
    """Spaces the campaign pushes of every worker evenly at a rate per key (not a per-resident limit:
    that is web/channels/ratelimit.py's ResidentRateLimit)."""

    def __init__(self, client: redis.Redis, horizon_seconds: float = 1.0) -> None:
        self.redis = client
        self.horizon_us = int(horizon_seconds * 1_000_000)
        self._reserve = client.register_script(_RESERVE)

    def reserve(self, key: str, rate_per_second: float) -> float:
        """Book a slot: seconds to wait before using it, or a negative number (seconds) when
        the next slot is beyond the horizon and nothing was booked."""
        interval = max(1, int(1_000_000 / rate_per_second))
        return int(self._reserve(keys=[f"ratelimit:{key}"], args=[interval, self.horizon_us])) / 1_000_000

    def acquire(self, key: str, rate_per_second: float) -> float:
        """Block until a slot of ``key`` is ours; returns the slot's time (``time.monotonic``),
        which is what the limiter spaces: the caller may wake a little after it."""
        while True:
            wait = self.reserve(key, rate_per_second)
            if wait >= 0:
                slot = time.monotonic() + wait
                if wait:
                    time.sleep(wait)
                return slot
            time.sleep(min(-wait, 1.0) / 2)
