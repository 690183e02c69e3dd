"""What the desk announces, and when: only after the database transaction commits.

Queue code records an event on the SQLAlchemy session (:func:`record`); the
:class:`Publisher` installed on the app's sessionmaker publishes them on Redis once
the commit succeeded (and drops them on rollback), and pauses Rasa's tracker for a
conversation that was just queued. The console's server-sent-event streams subscribe. (A resident who
leaves the queue has the tracker resumed before the change, not after it: web/handoff/queue.leave.)
"""

from __future__ import annotations

import json
import logging
from typing import Any

import redis
from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from web.handoff.rasa_api import RasaApi, RasaApiError

log = logging.getLogger(__name__)

CONSOLE_CHANNEL = "handoff:console"
_PENDING = "handoff_events"


def record(sess: Session, kind: str, conversation_id: int, **data: Any) -> None:
    """``kind``: queue (a ticket changed; no resident data), message (a transcript line)."""
    sess.info.setdefault(_PENDING, []).append({"type": kind, "conversation_id": conversation_id, **data})


class Publisher:
    def __init__(self, redis_client: redis.Redis, rasa: RasaApi) -> None:
        self.redis, self.rasa = redis_client, rasa

    def install(self, sessions: sessionmaker) -> None:
        event.listen(sessions, "after_commit", self._after_commit)
        event.listen(sessions, "after_rollback", lambda sess: sess.info.pop(_PENDING, None))

    def announce(self, conversation_id: int, **data: Any) -> None:
        """A queue event now, for a change another process has already committed (the on-call
        alert's worker, web/oncall/delivery.py): no resident data in ``data``."""
        try:
            self.redis.publish(
                CONSOLE_CHANNEL,
                json.dumps({"type": "queue", "conversation_id": conversation_id, **data}, ensure_ascii=False),
            )
        except redis.RedisError as exc:
            log.warning("could not publish a desk event", extra={"error": type(exc).__name__})

    def _after_commit(self, sess: Session) -> None:
        for item in sess.info.pop(_PENDING, []):
            sender = item.pop("pause_sender", None)
            if sender:
                try:
                    self.rasa.pause(sender)
                except RasaApiError as exc:  # the conversation is queued regardless: the router no longer asks Rasa
                    log.warning("could not pause the bot's tracker", extra={"error": str(exc)})
            try:
                self.redis.publish(CONSOLE_CHANNEL, json.dumps(item, ensure_ascii=False, default=str))
            except redis.RedisError as exc:
                log.warning("could not publish a desk event", extra={"error": type(exc).__name__})
