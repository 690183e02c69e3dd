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


DOMAIN = {"responses": {"utter_default": [{"text": "不好意思，这句话我没太明白。"}]}}


def fallback(*events: dict) -> dict:
    tracker = Tracker.from_dict(
        {
            "sender_id": "o1",
            "latest_message": {"text": "就是那个那个什么来着嗯嗯", "intent": {"name": "affirm"}, "entities": []},
            "events": [*events, {"event": "user", "text": "就是那个那个什么来着嗯嗯"}],
        }
    )
    return executor.run("action_default_fallback", tracker, DOMAIN)


def test_the_fallback_says_it_did_not_understand_and_forgets_the_message():
    result = fallback({"event": "bot", "text": "您好！"})
    assert [m["response"] for m in result["responses"]] == ["utter_default"]
    assert [e["event"] for e in result["events"]] == ["rewind"]


def test_a_second_fallback_in_a_row_hands_the_resident_to_a_person():
    """Issue 22: 嗯啊那个那个呃 then 就是那个那个什么来着嗯嗯 (read as a yes to nothing) was "didn't understand" twice
    and no person came."""
    result = fallback(
        {"event": "user", "text": "嗯啊那个那个呃"}, {"event": "bot", "text": "不好意思，这句话我没太明白。"}
    )
    (message,) = result["responses"]
    assert message["response"] == "utter_handoff_fallback" and message["custom"]["handoff"]["reason"] == "fallback"
    # forgotten too: kept, Rasa was as unsure as before and handed over ten times in one turn (issue 22's suite)
    assert [e["event"] for e in result["events"]] == ["rewind"]
