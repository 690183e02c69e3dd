"""bot/channels/platform.py's reading of a turn (run in the Rasa environment, where it lives)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PYTHON = ROOT / ".venv-rasa" / "bin" / "python"

EVENTS = [
    {"event": "user", "message_id": "old", "parse_data": {}},
    {
        "event": "user",
        "message_id": "m1",
        "text": "想约个结婚登记",
        "parse_data": {
            "intent": {"name": "marriage_book", "confidence": 0.93},
            "intent_ranking": [{"name": "marriage_book", "confidence": 0.93}],
            "entities": [{"entity": "marriage_type", "value": "结婚"}],
        },
    },
    {"event": "action", "name": "marriage_form"},
    {"event": "active_loop", "name": "marriage_form"},
    {"event": "slot", "name": "requested_slot", "value": "marriage_date"},
    {"event": "action", "name": "action_listen"},
    {"event": "user", "message_id": "m2", "parse_data": {}},
    {"event": "action", "name": "action_deactivate_loop"},
    {"event": "active_loop", "name": None},
]
FALLBACK = [
    {
        "event": "user",
        "message_id": "m3",
        "parse_data": {
            "intent": {"name": "nlu_fallback", "confidence": 0.5},
            "intent_ranking": [{"name": "nlu_fallback", "confidence": 0.5}, {"name": "greet", "confidence": 0.31}],
        },
    },
    {"event": "action", "name": "utter_default"},
    {"event": "action", "name": "action_listen"},
]
RESTARTED = EVENTS[:6] + [
    {"event": "restart"},
    {"event": "user", "message_id": "m4", "parse_data": {}},
    {"event": "action", "name": "utter_greet"},
]
INSIDE = EVENTS[:6] + [  # a turn inside the form, which asks its next slot
    {"event": "user", "message_id": "m5", "parse_data": {}},
    {"event": "action", "name": "marriage_form"},
    {"event": "slot", "name": "requested_slot", "value": "marriage_office"},
    {"event": "action", "name": "action_listen"},
]
AGAIN = EVENTS[:6] + [  # a turn inside the form that asks the same slot again (an answer it could not take)
    {"event": "user", "message_id": "m6", "parse_data": {}},
    {"event": "action", "name": "marriage_form"},
    {"event": "action", "name": "action_listen"},
]
SCRIPT = """
import json, sys
sys.path.insert(0, "bot")
from rasa.shared.core.events import Event
from rasa.shared.core.slots import AnySlot
from rasa.shared.core.trackers import DialogueStateTracker
from channels.platform import turn_of, understanding

def tracker(dicts):
    slot = AnySlot("requested_slot", mappings=[])
    return DialogueStateTracker.from_events("s", [Event.from_parameters(d) for d in dicts], slots=[slot])

def read(dicts, message_id, slots, loop_after):
    turn, loop_before, slot_before = turn_of(tracker(dicts), message_id)
    return {**understanding(turn, slots, loop_after, loop_before, slot_before), "before": [loop_before, slot_before]}

events, fallback, restarted, inside, again = json.load(sys.stdin)
out = {
  "start": read(events, "m1", {"requested_slot": "marriage_date", "district": "普陀区"}, "marriage_form"),
  "stop": read(events, "m2", {}, None),
  "fallback": read(fallback, "m3", {}, None),
  "restarted": read(restarted, "m4", {}, None),
  "missing": read(events, "nope", {}, None),
  "inside": read(inside, "m5", {"requested_slot": "marriage_office"}, "marriage_form"),
  "again": read(again, "m6", {"requested_slot": "marriage_date"}, "marriage_form"),
}
print(json.dumps(out, ensure_ascii=False))
"""


@pytest.fixture(scope="module")
def read() -> dict:
    if not PYTHON.exists():
        pytest.skip("the Rasa environment is not installed")
    result = subprocess.run(
        [str(PYTHON), "-c", SCRIPT],
        input=json.dumps([EVENTS, FALLBACK, RESTARTED, INSIDE, AGAIN]),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_a_form_starting_is_a_flow_start_with_the_parse_result(read):
    start = read["start"]
    assert (start["intent"], start["confidence"], start["fallback"]) == ("marriage_book", 0.93, False)
    assert start["entities"] == [{"entity": "marriage_type", "value": "结婚"}]
    assert start["flows"] == [{"flow": "marriage_form", "event": "started", "step": None}]
    assert (start["active_loop"], start["requested_slot"], start["district"]) == (
        "marriage_form",
        "marriage_date",
        "普陀区",
    )
    assert start["actions"] == ["marriage_form"] and start["before"] == [None, None]


def test_a_form_stopped_by_the_resident_is_abandoned_at_its_step(read):
    assert read["stop"]["before"] == ["marriage_form", "marriage_date"]  # read back from the events before the turn
    assert read["stop"]["flows"] == [{"flow": "marriage_form", "event": "abandoned", "step": "marriage_date"}]


def test_a_turn_inside_a_form_reads_the_form_and_the_slot_it_was_asked(read):
    assert read["inside"]["before"] == ["marriage_form", "marriage_date"]
    assert read["inside"]["flows"] == [] and read["inside"]["actions"] == ["marriage_form"]
    assert read["again"]["before"] == ["marriage_form", "marriage_date"] and read["again"]["flows"] == []


def test_nothing_is_active_after_a_restart_and_an_unknown_message_is_no_turn(read):
    assert read["restarted"]["before"] == [None, None] and read["restarted"]["flows"] == []
    assert read["restarted"]["actions"] == ["utter_greet"]
    assert read["missing"]["actions"] == [] and read["missing"]["intent"] is None


def test_a_fallback_keeps_the_best_real_guess(read):
    fb = read["fallback"]
    assert fb["fallback"] and fb["intent"] == "nlu_fallback" and fb["guess"] == {"intent": "greet", "confidence": 0.31}
