"""Per-resident rate limit: at most N messages a minute, counted in Redis across all web processes.

Without Redis nobody is limited: a resident is never turned away because the counter is down.
"""

from __future__ import annotations

import logging
import time

import redis

log = logging.getLogger(__name__)


class ResidentRateLimit:
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
        try:
            count, _ = pipe.execute()
        except redis.RedisError as exc:
            log.warning("rate limit not checked, redis unavailable", extra={"error": type(exc).__name__})
            return True
        return int(count) <= self.limit
