"""actions/forms.py: a form's validation action reads the answer, checks the answers held in order, asks the next."""

from __future__ import annotations

from actions import executor
from actions.forms import FormCall, FormValidation, reset
from actions.tracker import Tracker


class PetForm(FormValidation):
    form = "test_pet_form"
    asks_itself = True

    def required_slots(self, call: FormCall) -> list[str]:
        return ["pet", "pet_name"]

    def extract_pet(self, call: FormCall) -> dict:
        return {"pet": call.text or None}

    def extract_pet_name(self, call: FormCall) -> dict:
        return {"pet_name": call.text}

    def validate_pet(self, call: FormCall, value: str) -> dict:
        if value in ("猫", "狗"):
            return {}
        call.say("utter_no_such_pet")
        return {"pet": None}

    def ask_pet(self, call: FormCall) -> list[dict]:
        return call.ask("pet", "utter_ask_pet")

    def ask_pet_name(self, call: FormCall) -> list[dict]:
        return call.ask("pet_name", "utter_ask_pet_name")


class QuietForm(FormValidation):
    """Reads nothing from a message, and offers its choices as buttons."""

    form = "test_quiet_form"
    asks_itself = True

    def required_slots(self, call: FormCall) -> list[str]:
        return ["pet"]

    def ask_pet(self, call: FormCall) -> list[dict]:
        return call.ask("pet", "utter_ask_pet", buttons=[{"title": "猫", "payload": "猫"}])


def run(slots: dict, text: str, events: list[dict] | None = None, form: str = "test_pet_form") -> dict:
    tracker = Tracker.from_dict(
        {
            "sender_id": "t",
            "slots": slots,
            "latest_message": {"text": text, "entities": []},
            "events": events if events is not None else [{"event": "user"}],
        }
    )
    return executor.run(f"validate_{form}", tracker, {})


def slot_events(result: dict) -> list[tuple[str, object]]:
    return [(e["name"], e["value"]) for e in result["events"] if e["event"] == "slot"]


def test_the_answer_is_read_checked_and_the_next_slot_asked():
    result = run({"requested_slot": "pet"}, "猫")
    assert slot_events(result) == [("pet", "猫"), ("requested_slot", "pet_name")]
    assert [m["response"] for m in result["responses"]] == ["utter_ask_pet_name"]


def test_a_refused_answer_is_said_why_and_asked_again():
    result = run({"requested_slot": "pet"}, "恐龙")
    assert slot_events(result) == [("pet", "恐龙"), ("pet", None), ("requested_slot", "pet")]
    assert [m["response"] for m in result["responses"]] == ["utter_no_such_pet", "utter_ask_pet"]


def test_a_message_already_answered_by_another_action_is_not_read_again():
    result = run({"requested_slot": "pet"}, "猫", events=[{"event": "user"}, {"event": "action", "name": "utter_faq"}])
    assert slot_events(result) == [("requested_slot", "pet")]


def test_the_complete_form_requests_nothing_more():
    result = run({"requested_slot": "pet_name", "pet": "狗"}, "旺财")
    assert slot_events(result) == [("pet_name", "旺财"), ("requested_slot", None)]


def test_a_message_read_without_setting_a_slot_still_comes_back_with_a_slot_event():
    """Rasa takes a turn of the form without a slot event (requested_slot aside) for no answer to the slot it asked
    for, and lets other policies reply: the slot asked for is set again to the value it holds."""
    result = run({"requested_slot": "pet", "pet": None}, "嗯", form="test_quiet_form")
    assert slot_events(result) == [("pet", None), ("requested_slot", "pet")]
    assert [m["buttons"] for m in result["responses"]] == [[{"title": "猫", "payload": "猫"}]]
    started = run({}, "我想养宠物", form="test_quiet_form")  # nothing was asked yet: nothing to answer
    assert slot_events(started) == [("requested_slot", "pet")]


def test_one_reset_helper():
    assert [(e["name"], e["value"]) for e in reset(("a",))] == [("a", None), ("requested_slot", None)]
    assert [e["event"] for e in reset(("a",), end_form=True)] == ["slot", "slot", "active_loop"]
    assert [e["name"] for e in reset(("a", "b"), requested=False)] == ["a", "b"]
