"""Rasa's Redis tracker store, made to cost as much on a resident's hundredth turn as on the
first, and keeping the tracker each turn saved for the platform channel.

Rasa 3.6's ``RedisTrackerStore`` grows slower with every turn of a conversation, and a
WeChat resident's conversation (one openid) never ends: each turn it deserialised the whole
stored tracker twice (``retrieve``, then ``save`` reading it back to merge), and turning
each stored event back into an object walked the whole ``Event`` class tree again (a third
of Rasa's CPU after 200 turns); once a resident had a second conversation session, the merge
compared every new event with every stored one. Measured in docs/performance.md
("Rasa's cost per turn"). Here:

- stored events become objects through a table of event types built once per type name;
- ``save`` stores the tracker it is given, which is what ``retrieve`` returned (the current
  conversation session) plus the turn, without reading the stored one back: Redis holds
  the current session (on the first turn of a new one, the previous session too), and the
  platform's transcript (web/conversations) is the history. Nothing of the session is lost
  by not merging: Rasa takes the conversation's lock (lock store) around every turn and
  every tracker-events API call, and a conversation always reaches the same Rasa instance
  (web/rasa_client.py), so no other writer can have saved in between;
- the tracker a turn saved is kept for the platform channel (channels/platform.py), which
  reads what the bot understood from it instead of retrieving the conversation once more.
  Only the most recent turns are kept, per sender, and each is taken once.

Configured in endpoints.yml as ``type: channels.platform_store.PlatformTrackerStore``.

A stored conversation lives ``RETENTION_DAYS`` after its last turn (the platform's retention
period, read here from the same variable as the web app's, default 180; common/settings.py), so
it is never set apart from the transcripts in endpoints.yml: a ``record_exp`` there is refused.
"""

from __future__ import annotations

import functools
import json
import os
from collections import OrderedDict
from typing import Any

from rasa.core.tracker_store import RedisTrackerStore, TrackerDeserialisationException
from rasa.shared.core.conversation import Dialogue
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker

KEEP = 1000  # saved trackers held for the channel to take; more only if that many turns end at once
DEFAULT_RETENTION_DAYS = 180  # as common/settings.py's RETENTION_DAYS


def retention_seconds() -> int:
    """How long Redis keeps a conversation after its last turn: RETENTION_DAYS, in seconds."""
    days = int(os.environ.get("RETENTION_DAYS") or DEFAULT_RETENTION_DAYS)
    if days < 1:
        raise ValueError(f"RETENTION_DAYS must be at least 1, not {days}")
    return days * 86400


@functools.cache
def event_class(type_name: str) -> type[Event] | None:
    """Rasa's event class for a stored event's ``event`` name (raises for an unknown name, as Rasa does)."""
    return Event.resolve_by_type(type_name)


def deserialise_events(stored: list[dict]) -> list[Event]:
    events = []
    for parameters in stored:
        name = parameters.get("event")
        cls = event_class(name) if name else None
        event = cls._from_parameters(parameters) if cls else None
        if event:
            events.append(event)
    return events


class PlatformTrackerStore(RedisTrackerStore):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if kwargs.get("record_exp") is not None:
            raise ValueError("record_exp follows RETENTION_DAYS: remove it from endpoints.yml")
        super().__init__(*args, **{**kwargs, "record_exp": retention_seconds()})
        self._saved: OrderedDict[str, DialogueStateTracker] = OrderedDict()

    def deserialise_tracker(self, sender_id: str, serialised_tracker: str | bytes) -> DialogueStateTracker | None:
        try:
            stored = json.loads(serialised_tracker)
        except UnicodeDecodeError as exc:  # as Rasa: pickled trackers are not read any more
            raise TrackerDeserialisationException("Trackers must be serialised as json.") from exc
        tracker = self.init_tracker(sender_id)
        tracker.recreate_from_dialogue(
            Dialogue(stored.get("name", sender_id), deserialise_events(stored.get("events") or []))
        )
        return tracker

    async def save(self, tracker: DialogueStateTracker, timeout: float | None = None) -> None:
        await self.stream_events(tracker)
        self.red.set(
            self.key_prefix + tracker.sender_id, self.serialise_tracker(tracker), ex=timeout or self.record_exp
        )
        self._saved.pop(tracker.sender_id, None)
        self._saved[tracker.sender_id] = tracker
        while len(self._saved) > KEEP:
            self._saved.popitem(last=False)

    def take_saved(self, sender_id: str) -> DialogueStateTracker | None:
        """The tracker the last turn of ``sender_id`` saved (once), or None."""
        return self._saved.pop(sender_id, None)
