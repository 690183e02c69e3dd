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
    {"event": "user", "message_id": "m1", "text": "想约个结婚登记",
     "parse_data": {"intent": {"name": "marriage_book", "confidence": 0.93},
                    "intent_ranking": [{"name": "marriage_book", "confidence": 0.93}],
                    "entities": [{"entity": "marriage_type", "value": "结婚"}]}},
    {"event": "action", "name": "marriage_form"},
    {"event": "active_loop", "name": "marriage_form"},
    {"event": "slot", "name": "requested_slot", "value": "marriage_date"},
    {"event": "action", "name": "action_listen"},
    {"event": "user", "message_id": "m2", "parse_data": {}},
    {"event": "action", "name": "action_deactivate_loop"},
    {"event": "active_loop", "name": None},
]
FALLBACK = [
    {"event": "user", "message_id": "m3", "parse_data": {"intent": {"name": "nlu_fallback", "confidence": 0.5},
                                                         "intent_ranking": [{"name": "nlu_fallback", "confidence": 0.5},
                                                                            {"name": "greet", "confidence": 0.31}]}},
    {"event": "action", "name": "utter_default"},
    {"event": "action", "name": "action_listen"},
]
SCRIPT = """
import json, sys
sys.path.insert(0, "bot")
from channels.platform import turn_events, understanding
events, fallback = json.load(sys.stdin)
out = {
  "start": understanding(turn_events(events, "m1"), {"requested_slot": "marriage_date", "district": "普陀区"}, "marriage_form", None, None),
  "stop": understanding(turn_events(events, "m2"), {}, None, "marriage_form", "marriage_date"),
  "fallback": understanding(turn_events(fallback, "m3"), {}, None, None, None),
}
print(json.dumps(out, ensure_ascii=False))
"""


@pytest.fixture(scope="module")
def read() -> dict:
    if not PYTHON.exists():
        pytest.skip("the Rasa environment is not installed")
    result = subprocess.run([str(PYTHON), "-c", SCRIPT], input=json.dumps([EVENTS, FALLBACK]), cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_a_form_starting_is_a_flow_start_with_the_parse_result(read):
    start = read["start"]
    assert (start["intent"], start["confidence"], start["fallback"]) == ("marriage_book", 0.93, False)
    assert start["entities"] == [{"entity": "marriage_type", "value": "结婚"}]
    assert start["flows"] == [{"flow": "marriage_form", "event": "started", "step": None}]
    assert (start["active_loop"], start["requested_slot"], start["district"]) == ("marriage_form", "marriage_date", "普陀区")
    assert start["actions"] == ["marriage_form"]


def test_a_form_stopped_by_the_resident_is_abandoned_at_its_step(read):
    assert read["stop"]["flows"] == [{"flow": "marriage_form", "event": "abandoned", "step": "marriage_date"}]


def test_a_fallback_keeps_the_best_real_guess(read):
    fb = read["fallback"]
    assert fb["fallback"] and fb["intent"] == "nlu_fallback" and fb["guess"] == {"intent": "greet", "confidence": 0.31}
