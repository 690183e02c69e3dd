"""Exactly-once processing of WeChat deliveries, and the same answer for WeChat's retries.

WeChat re-sends a message when it gets no answer within 5 s (three retries). Each
delivery's dedupe key (MsgId, or FromUserName + CreateTime for events) is claimed
in Redis with ``SET NX``; only the claimer processes it. The key then moves, by
compare-and-set, from ``pending`` to one final state:

* ``done:<text>`` — the bot answered within the budget: the passive reply (empty
  text means ``success``); a retry gets the same reply again;
* ``async`` — the answer goes out through the customer-service API; a retry gets
  ``success``.

Whoever moves the key first wins: the request handler when its budget runs out, a
retry that waited as long, or the processing thread when the bot answers. So a
reply is either returned passively or delivered asynchronously, never both, never
neither.
"""
from __future__ import annotations

import time

import redis

PENDING = "pending"
ASYNC = "async"
DONE = "done:"
TTL = 24 * 3600  # longer than WeChat's retries by far; MsgIds are never reused

_CAS = """
local current = redis.call('GET', KEYS[1])
if current == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL')
end
return current
"""


class ReplyLedger:
    def __init__(self, client: redis.Redis, prefix: str = "wechat:seen:") -> None:
        self.redis, self.prefix = client, prefix
        self._cas = client.register_script(_CAS)

    def claim(self, key: str) -> bool:
        """True for the first delivery of ``key``: the caller processes it."""
        return bool(self.redis.set(self.prefix + key, PENDING, nx=True, ex=TTL))

    def state(self, key: str) -> str | None:
        raw = self.redis.get(self.prefix + key)
        return raw.decode("utf-8") if raw is not None else None

    def settle(self, key: str, new_state: str) -> str | None:
        """Move ``pending`` to ``new_state``; returns the state found (``pending`` means it moved)."""
        found = self._cas(keys=[self.prefix + key], args=[PENDING, new_state])
        return found.decode("utf-8") if isinstance(found, bytes) else found

    def wait_settled(self, key: str, timeout: float, interval: float = 0.05) -> str | None:
        """Poll until the key leaves ``pending`` or ``timeout`` passes; the state last seen."""
        deadline = time.monotonic() + timeout
        state = self.state(key)
        while state == PENDING and time.monotonic() < deadline:
            time.sleep(interval)
            state = self.state(key)
        return state


def passive_text(state: str | None) -> str | None:
    """The passive reply a final state stands for; None means answer ``success``."""
    if state and state.startswith(DONE) and len(state) > len(DONE):
        return state[len(DONE):]
    return None
