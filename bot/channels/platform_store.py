"""Rasa's Redis tracker store, keeping the tracker each turn saved for the platform channel.

Rasa's processor retrieves the conversation's tracker, runs the turn and saves it; the
platform channel (channels/platform.py) reads what the bot understood from that saved
tracker instead of retrieving (and deserialising, O(events)) the whole conversation once
more. Only the most recent turns are kept, per sender, and each is taken once.
Configured in endpoints.yml as ``type: channels.platform_store.TurnCapturingRedisTrackerStore``.
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Any, Optional, Text

from rasa.core.tracker_store import RedisTrackerStore
from rasa.shared.core.trackers import DialogueStateTracker

KEEP = 1000  # saved trackers held for the channel to take; more only if that many turns end at once


class TurnCapturingRedisTrackerStore(RedisTrackerStore):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._saved: OrderedDict[Text, DialogueStateTracker] = OrderedDict()

    async def save(self, tracker: DialogueStateTracker, timeout: Optional[float] = None) -> None:
        await super().save(tracker, timeout)
        self._saved.pop(tracker.sender_id, None)
        self._saved[tracker.sender_id] = tracker
        while len(self._saved) > KEEP:
            self._saved.popitem(last=False)

    def take_saved(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        """The tracker the last turn of ``sender_id`` saved (once), or None."""
        return self._saved.pop(sender_id, None)
