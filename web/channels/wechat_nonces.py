"""A signed callback URL works for one message: (timestamp, nonce) pairs are remembered in Redis.

WeChat's plain signature covers the token, the timestamp and the nonce, never the body, so a
callback URL read from an access log would otherwise be good for any body until its timestamp
goes stale (``TIMESTAMP_WINDOW``). Each pair is kept (``wechat:nonce:<timestamp>:<nonce>``)
until then, with the message it carried: its dedupe key (``Incoming.dedupe_key``), or
``verify`` for the URL check.

The same pair with the *same* message is let through: that is WeChat delivering the message
again (its documentation does not say whether a retry is signed anew), and the reply ledger
(``web/channels/dedupe.py``) answers it without processing it twice. A forged body under a
used pair is another message, and is refused — or, if it copies the dedupe key, the ledger
treats it as the retry it pretends to be, never processing it.

Redis unreachable: the check is skipped (fail open) and logged. The platform's rule is that
a Redis outage loses no message (the ledger answers without Redis too), and refusing every
callback would make WeChat drop the residents' messages after its retries. What is given up
for the outage: a replay within the freshness window, which in strict safe mode can only
repeat a genuine message (``msg_signature`` covers the ciphertext).
"""

from __future__ import annotations

import logging
import time

import redis

from web.channels.wechat_protocol import TIMESTAMP_WINDOW, Query, Rejected

log = logging.getLogger(__name__)

VERIFY = "verify"  # what a URL check (GET) carries

_FIRST_USE = """
local found = redis.call('GET', KEYS[1])
if found then
  return found
end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
return false
"""


class UsedNonces:
    def __init__(self, client: redis.Redis, window: int = TIMESTAMP_WINDOW, prefix: str = "wechat:nonce:") -> None:
        self.window, self.prefix = window, prefix
        self._first_use = client.register_script(_FIRST_USE)

    def check(self, q: Query, message: str) -> bool:
        """Raise :class:`Rejected` (403, as for a stale timestamp) when ``q``'s timestamp and
        nonce were already used for another message. Call after the signature was checked.
        False: Redis did not answer, so the caller need not wait for it a second time."""
        try:
            ttl = max(1, int(q.timestamp) + self.window - int(time.time()) + 1)  # until the timestamp goes stale
            found = self._first_use(keys=[f"{self.prefix}{q.timestamp}:{q.nonce}"], args=[message, ttl])
        except redis.RedisError as exc:
            log.warning("wechat nonce not checked, redis unavailable", extra={"error": type(exc).__name__})
            return False
        if found is not None and found.decode("utf-8", "replace") != message:
            raise Rejected(403, "replayed request")
        return True
