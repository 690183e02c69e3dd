"""action_goodbye (actions/core.py): a goodbye to a goodbye only; a bare answer (intent inform) with no errand
under way is asked what the resident wants to do, and a number in it is said back masked."""

from __future__ import annotations

from actions import core, executor  # noqa: F401  (registers the actions)
from actions.tracker import Tracker


def responses(text: str, intent: str) -> list[dict]:
    tracker = Tracker.from_dict(
        {"sender_id": "o1", "latest_message": {"text": text, "intent": {"name": intent}, "entities": []}}
    )
    return executor.run("action_goodbye", tracker, {})["responses"]


def test_a_goodbye_is_answered_with_goodbye():
    assert [m["response"] for m in responses("拜拜", "goodbye")] == ["utter_goodbye"]


def test_a_bare_name_is_asked_what_the_errand_is_not_told_goodbye():
    assert [m["response"] for m in responses("冯秋菊", "inform")] == ["utter_default"]


def test_a_bare_id_number_is_said_back_masked():
    (message,) = responses("310115198203154413", "inform")
    assert message["response"] == "utter_details_without_errand"
    assert "310115198203154413" not in str(message)
