"""Per-resident rate limit: at most N messages a minute, counted in Redis across all web processes."""
from __future__ import annotations

import time

import redis


class RateLimiter:
    """A fixed one-minute window per sender (``INCR`` + ``EXPIRE``), shared by every process."""

    def __init__(self, client: redis.Redis, per_minute: int, window: int = 60) -> None:
        self.redis, self.limit, self.window = client, per_minute, window

    def allow(self, sender_id: str) -> bool:
        if self.limit <= 0:
            return True
        key = f"ratelimit:{sender_id}:{int(time.time()) // self.window}"
        pipe = self.redis.pipeline()
        pipe.incr(key)
        pipe.expire(key, self.window * 2)
        count, _ = pipe.execute()
        return int(count) <= self.limit
