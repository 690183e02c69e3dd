"""The web chat's mailbox: messages for a web resident outside a request, read by polling.

A Redis stream per conversation (``XADD`` with an approximate cap, a week's expiry);
the chat page asks for the entries after the last id it has seen.
"""
from __future__ import annotations

import json
from typing import Any

import redis

MAX_ENTRIES = 200
TTL = 7 * 24 * 3600


class Mailbox:
    def __init__(self, client: redis.Redis) -> None:
        self.redis = client

    @staticmethod
    def _key(sender_id: str) -> str:
        return f"chat:mailbox:{sender_id}"

    def put(self, sender_id: str, payload: dict[str, Any]) -> str:
        key = self._key(sender_id)
        pipe = self.redis.pipeline()
        pipe.xadd(key, {"m": json.dumps(payload, ensure_ascii=False)}, maxlen=MAX_ENTRIES, approximate=True)
        pipe.expire(key, TTL)
        entry_id, _ = pipe.execute()
        return entry_id.decode("ascii")

    def after(self, sender_id: str, last_id: str | None, limit: int = 50) -> list[tuple[str, dict[str, Any]]]:
        start = f"({last_id}" if last_id else "-"
        entries = self.redis.xrange(self._key(sender_id), min=start, max="+", count=limit)
        return [(entry_id.decode("ascii"), json.loads(fields[b"m"])) for entry_id, fields in entries]
