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


def run(slots: dict, text: str, events: list[dict] | None = None) -> dict:
    tracker = Tracker.from_dict(
        {
            "sender_id": "t",
            "slots": slots,
            "latest_message": {"text": text, "entities": []},
            "events": events if events is not None else [{"event": "user"}],
        }
    )
    return executor.run("validate_test_pet_form", tracker, {})


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


def test_one_reset_helper():
    assert [(e["name"], e["value"]) for e in reset(("a",))] == [("a", None), ("requested_slot", None)]
    assert [e["event"] for e in reset(("a",), end_form=True)] == ["slot", "slot", "active_loop"]
    assert [e["name"] for e in reset(("a", "b"), requested=False)] == ["a", "b"]
