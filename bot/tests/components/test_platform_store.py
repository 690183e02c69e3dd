"""channels/platform_store.py against Rasa's own RedisTrackerStore (the independent peer) and a real Redis."""

import asyncio
import os
import uuid
from datetime import datetime
from pathlib import Path
from urllib.parse import urlparse

import pytest
from channels.platform_store import PlatformTrackerStore
from rasa.core.tracker_store import RedisTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActionExecutionRejected,
    ActionReverted,
    ActiveLoop,
    AllSlotsReset,
    BotUttered,
    ConversationPaused,
    ConversationResumed,
    EntitiesAdded,
    FollowupAction,
    LoopInterrupted,
    ReminderCancelled,
    ReminderScheduled,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

DOMAIN = Domain.load(str(Path(__file__).resolve().parents[2] / "domain"))
_REDIS = urlparse(os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15"))
REDIS = {"host": _REDIS.hostname, "port": _REDIS.port or 6379, "db": int(_REDIS.path.strip("/") or 0)}


def session_start() -> list:
    return [ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")]


def every_kind_of_event() -> list:
    parse = {
        "intent": {"name": "marriage_book", "confidence": 0.93},
        "entities": [{"entity": "district", "value": "普陀区", "start": 0, "end": 3}],
        "text": "普陀区结婚登记",
    }
    return session_start() + [
        UserUttered(
            "普陀区结婚登记",
            parse["intent"],
            parse["entities"],
            parse,
            message_id="m1",
            input_channel="platform",
            metadata={"channel": "wechat"},
        ),
        EntitiesAdded([{"entity": "district", "value": "普陀区"}]),
        ActionExecuted("marriage_booking_form", policy="RulePolicy", confidence=1.0),
        ActiveLoop("marriage_booking_form"),
        SlotSet("requested_slot", "district"),
        BotUttered(
            "您想在哪一天登记？",
            {"buttons": [{"title": "明天", "payload": "/inform"}]},
            {"utter_action": "utter_ask_date"},
        ),
        ActionExecuted("action_listen"),
        UserUttered("算了", {"name": "stop", "confidence": 0.8}, message_id="m2"),
        ActionExecutionRejected("marriage_booking_form"),
        LoopInterrupted(True),
        ActiveLoop(None),
        FollowupAction("utter_ask_continue"),
        UserUtteranceReverted(),
        ActionReverted(),
        ReminderScheduled("EXTERNAL_reminder", datetime(2026, 12, 1, 9, 0), name="r1"),
        ReminderCancelled(name="r1"),
        ConversationPaused(),
        ConversationResumed(),
        AllSlotsReset(),
        Restarted(),
    ]


def rasa_store() -> RedisTrackerStore:
    return RedisTrackerStore(DOMAIN, **REDIS)


@pytest.fixture()
def store(monkeypatch):
    monkeypatch.setenv("RETENTION_DAYS", "2")
    store = PlatformTrackerStore(DOMAIN, **REDIS, key_prefix="test" + uuid.uuid4().hex[:8])
    yield store
    for key in store.red.keys(store.key_prefix + "*"):
        store.red.delete(key)


def test_stored_events_come_back_as_rasa_reads_them(store: PlatformTrackerStore) -> None:
    tracker = DialogueStateTracker.from_events("oParity", every_kind_of_event(), DOMAIN.slots)
    stored = RedisTrackerStore.serialise_tracker(tracker)
    ours, theirs = store.deserialise_tracker("oParity", stored), rasa_store().deserialise_tracker("oParity", stored)
    assert [e.as_dict() for e in ours.events] == [e.as_dict() for e in theirs.events]
    assert len(ours.events) == len(every_kind_of_event())
    assert ours.current_state() == theirs.current_state()


def test_unknown_event_names_fail_as_in_rasa(store: PlatformTrackerStore) -> None:
    stored = '{"events": [{"event": "no_such_event"}]}'
    with pytest.raises(ValueError):
        rasa_store().deserialise_tracker("oUnknown", stored)
    with pytest.raises(ValueError):
        store.deserialise_tracker("oUnknown", stored)


def test_redis_holds_the_current_session_and_each_turn_reads_only_it(store: PlatformTrackerStore) -> None:
    async def conversation() -> None:
        first = session_start() + [
            UserUttered("你好", {"name": "greet", "confidence": 0.99}, message_id="a"),
            BotUttered("您好！"),
            ActionExecuted("action_listen"),
        ]
        await store.save(DialogueStateTracker.from_events("oLong", first, DOMAIN.slots))
        # two hours later: the processor retrieves the last session and starts a new one on it
        tracker = await store.retrieve("oLong")
        assert [e.as_dict() for e in tracker.events] == [e.as_dict() for e in first]
        second = session_start() + [
            UserUttered("结婚登记", {"name": "marriage_book", "confidence": 0.9}, message_id="b"),
            BotUttered("好的"),
            ActionExecuted("action_listen"),
        ]
        for event in second:
            tracker.update(event)
        await store.save(tracker)
        # the next turn reads the new session only (as Rasa's store does) and adds to it
        tracker = await store.retrieve("oLong")
        assert [e.as_dict() for e in tracker.events] == [e.as_dict() for e in second]
        tracker.update(UserUttered("谢谢", {"name": "thank", "confidence": 0.97}, message_id="c"))
        await store.save(tracker)
        assert store.take_saved("oLong") is tracker and store.take_saved("oLong") is None
        # what Redis keeps: that session, not the resident's whole history
        kept = await store.retrieve_full_tracker("oLong")
        assert [e.get("message_id") for e in (e.as_dict() for e in kept.events) if e["event"] == "user"] == ["b", "c"]
        assert 86400 < store.red.ttl(store.key_prefix + "oLong") <= 2 * 86400

    asyncio.run(conversation())


@pytest.mark.parametrize("days, seconds", [(None, 180 * 86400), ("30", 30 * 86400), ("365", 365 * 86400)])
def test_a_conversation_lives_retention_days_after_its_last_turn(monkeypatch, days, seconds) -> None:
    if days is None:
        monkeypatch.delenv("RETENTION_DAYS", raising=False)
    else:
        monkeypatch.setenv("RETENTION_DAYS", days)
    store = PlatformTrackerStore(DOMAIN, **REDIS, key_prefix="test" + uuid.uuid4().hex[:8])
    try:
        tracker = DialogueStateTracker.from_events("oKept", session_start(), DOMAIN.slots)
        asyncio.run(store.save(tracker))
        assert seconds - 60 < store.red.ttl(store.key_prefix + "oKept") <= seconds
    finally:
        store.red.delete(store.key_prefix + "oKept")


def test_the_lifetime_is_not_set_apart_from_retention_days(monkeypatch) -> None:
    with pytest.raises(ValueError, match="RETENTION_DAYS"):
        PlatformTrackerStore(DOMAIN, **REDIS, record_exp=15552000)
    monkeypatch.setenv("RETENTION_DAYS", "0")
    with pytest.raises(ValueError, match="RETENTION_DAYS"):
        PlatformTrackerStore(DOMAIN, **REDIS)


def test_rasas_endpoints_file_builds_the_store_with_the_retention_period(monkeypatch) -> None:
    """bot/endpoints.yml as Rasa reads it (its ${VAR}s from the environment) makes this store."""
    from rasa.core.tracker_store import TrackerStore
    from rasa.utils.endpoints import read_endpoint_config

    redis = {f"REDIS_{k.upper()}": str(v) for k, v in REDIS.items()}
    others = {"REDIS_PASSWORD": "", "ACTIONS_URL": "http://127.0.0.1:5055", "ACTIONS_TOKEN": "t"}
    for var, value in {**redis, **others}.items():
        monkeypatch.setenv(var, value)
    monkeypatch.setenv("RETENTION_DAYS", "45")
    config = read_endpoint_config(str(Path(__file__).resolve().parents[2] / "endpoints.yml"), "tracker_store")
    store = TrackerStore.create(config, DOMAIN)
    assert isinstance(store, PlatformTrackerStore) and store.record_exp == 45 * 86400
