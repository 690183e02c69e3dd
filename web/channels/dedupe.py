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

A web process can die with a turn in flight (a deploy, the OOM killer). Its claims are
held by a lease (``wechat:lease:<key>``, ``LEASE`` seconds) that a heartbeat thread
renews while the turn runs; a retry that finds ``pending`` and no lease knows nobody
will answer (:meth:`ReplyLedger.orphaned`) and tells the resident to send it again,
instead of ``success`` and silence. Once WeChat has had ``success`` there is no retry to
notice: an ``async`` settlement is therefore also written down as *owed*
(:meth:`ReplyLedger.settle_async`) until the turn is queued for the customer-service API
(:meth:`ReplyLedger.release` with ``paid_to``); a periodic task (``wechat.owed_replies``) tells residents whose
owed reply has no live process behind it to send their message again.
"""

from __future__ import annotations

import logging
import threading
import time

import redis

log = logging.getLogger(__name__)

PENDING = "pending"
ASYNC = "async"
DONE = "done:"
TTL = 24 * 3600  # longer than WeChat's retries by far; MsgIds are never reused
LEASE = 3  # seconds a claim outlives its process: well inside WeChat's 5 s between retries
HEARTBEAT = 0.5  # seconds between lease renewals

_CAS = """
local current = redis.call('GET', KEYS[1])
if current == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL')
end
return current
"""

_CLAIM = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[2]) then
  redis.call('SET', KEYS[2], '1', 'EX', ARGV[3])
  return 1
end
return 0
"""

_SETTLE_ASYNC = """
local current = redis.call('GET', KEYS[1])
if current == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL')
  redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4])
end
return current
"""
OWED_SEPARATOR = "\t"


class ReplyLedger:
    def __init__(
        self,
        client: redis.Redis,
        prefix: str = "wechat:seen:",
        lease_prefix: str = "wechat:lease:",
        owed_key: str = "wechat:owed",
    ) -> None:
        self.redis, self.prefix, self.lease_prefix, self.owed_key = client, prefix, lease_prefix, owed_key
        self._cas = client.register_script(_CAS)
        self._settle_async = client.register_script(_SETTLE_ASYNC)
        self._claim = client.register_script(_CLAIM)  # the claim and its lease at once: never one without the other
        self._held: set[str] = set()
        self._lock = threading.Lock()
        self._heartbeat: threading.Thread | None = None

    def claim(self, key: str) -> bool:
        """True for the first delivery of ``key``: the caller processes it, and holds it
        (the lease is renewed) until :meth:`release`."""
        if not self._claim(keys=[self.prefix + key, self.lease_prefix + key], args=[PENDING, TTL, LEASE]):
            return False
        with self._lock:
            self._held.add(key)
            if self._heartbeat is None or not self._heartbeat.is_alive():
                self._heartbeat = threading.Thread(target=self._renew, name="wechat-lease", daemon=True)
                self._heartbeat.start()
        return True

    def release(self, key: str, paid_to: str | None = None) -> None:
        """The processing of ``key`` is over; with ``paid_to`` (the openid) its reply is answered
        or queued, so nothing is owed any more (one round trip for both)."""
        with self._lock:
            self._held.discard(key)
        with self.redis.pipeline(transaction=False) as pipe:
            pipe.delete(self.lease_prefix + key)
            if paid_to is not None:
                pipe.zrem(self.owed_key, key + OWED_SEPARATOR + paid_to)
            pipe.execute()

    def orphaned(self, key: str) -> bool:
        """``key`` is pending and no live process holds it: nobody is going to answer it."""
        return self.state(key) == PENDING and not self.redis.exists(self.lease_prefix + key)

    def _renew(self) -> None:
        while True:
            time.sleep(HEARTBEAT)
            with self._lock:
                held = list(self._held)
            if not held:
                continue
            try:
                with self.redis.pipeline(transaction=False) as pipe:
                    for key in held:
                        pipe.set(self.lease_prefix + key, "1", ex=LEASE)
                    pipe.execute()
            except redis.RedisError as exc:
                log.warning("wechat claim leases not renewed", extra={"error": type(exc).__name__})

    def state(self, key: str) -> str | None:
        raw = self.redis.get(self.prefix + key)
        return raw.decode("utf-8") if raw is not None else None

    def settle(self, key: str, new_state: str) -> str | None:
        """Move ``pending`` to ``new_state``; returns the state found (``pending`` means it moved)."""
        found = self._cas(keys=[self.prefix + key], args=[PENDING, new_state])
        return found.decode("utf-8") if isinstance(found, bytes) else found

    def settle_async(self, key: str, openid: str) -> str | None:
        """Move ``pending`` to ``async`` and, if it moved, owe ``openid`` the reply until it is released as paid."""
        found = self._settle_async(
            keys=[self.prefix + key, self.owed_key], args=[PENDING, ASYNC, time.time(), key + OWED_SEPARATOR + openid]
        )
        return found.decode("utf-8") if isinstance(found, bytes) else found

    def unpaid(self, older_than: float) -> list[tuple[str, str]]:
        """(key, openid) owed for more than ``older_than`` seconds with no live process behind them."""
        members = self.redis.zrangebyscore(self.owed_key, "-inf", time.time() - older_than)
        owed = [m.decode("utf-8").split(OWED_SEPARATOR, 1) for m in members]
        return [(key, openid) for key, openid in owed if not self.redis.exists(self.lease_prefix + key)]

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
        return state[len(DONE) :]
    return None
