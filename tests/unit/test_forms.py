"""actions/forms.py: a form's validation action reads the answer, checks the answers held in order, asks the next;
never the same question a third time the same way."""

from __future__ import annotations

from actions import executor
from actions.forms import PERSON, AnotherWay, FormCall, FormValidation, answers_not_taken, reset
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


class PetNameForm(PetForm):
    """The pet form with another way declared for the kind of pet (choices worked out by a method) and its name
    optional (skipped with "跳过")."""

    form = "test_pet_name_form"
    another_ways = {
        "pet": AnotherWay("utter_pet_choices", choices="pets"),
        "pet_name": AnotherWay("utter_pet_name_example", skip="-"),
    }

    def pets(self, call: FormCall) -> list[dict]:
        return [{"title": p, "payload": p} for p in ("猫", "狗")]

    def extract_pet_name(self, call: FormCall) -> dict:
        return {"pet_name": call.text if len(call.text) < 5 else None}


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


# --- never the same question a third time the same way --------------------------------------------------------------


def asked(slot: str) -> dict:
    return {"event": "slot", "name": "requested_slot", "value": slot}


def refused(slot: str, value: str) -> list[dict]:
    """One turn in which the resident answered ``value`` for ``slot`` and the form refused it and asked again."""
    return [
        {"event": "user"},
        {"event": "slot", "name": slot, "value": value},
        {"event": "slot", "name": slot, "value": None},
        asked(slot),
    ]


def test_after_two_answers_that_changed_nothing_the_question_is_put_another_way_with_a_person():
    history = [asked("pet"), *refused("pet", "恐龙")]
    second = run({"requested_slot": "pet"}, "恐龙", events=[asked("pet"), {"event": "user"}])
    assert [m["response"] for m in second["responses"]] == ["utter_no_such_pet", "utter_ask_pet"]  # the same way
    third = run({"requested_slot": "pet"}, "恐龙", events=[*history, {"event": "user"}])
    assert [m["response"] for m in third["responses"]] == ["utter_no_such_pet", "utter_form_another_way"]
    assert third["responses"][-1]["buttons"] == [PERSON]
    assert slot_events(third)[-1] == ("requested_slot", "pet")


def test_the_declared_way_offers_its_choices_and_an_optional_slot_can_be_skipped():
    third = run(
        {"requested_slot": "pet"},
        "恐龙",
        events=[asked("pet"), *refused("pet", "恐龙"), {"event": "user"}],
        form="test_pet_name_form",
    )
    assert third["responses"][-1]["response"] == "utter_pet_choices"
    assert [b["title"] for b in third["responses"][-1]["buttons"]] == ["猫", "狗", PERSON["title"]]
    history = [{"event": "slot", "name": "pet", "value": "猫"}, asked("pet_name"), *refused("pet_name", "太长的名字啊")]
    named = run(
        {"requested_slot": "pet_name", "pet": "猫"},
        "一个很长很长的名字",
        events=[*history, {"event": "user"}],
        form="test_pet_name_form",
    )
    assert named["responses"][-1]["response"] == "utter_pet_name_example"
    assert [b["title"] for b in named["responses"][-1]["buttons"]] == ["跳过", PERSON["title"]]
    skipped = run({"requested_slot": "pet_name", "pet": "猫"}, "跳过", form="test_pet_name_form")
    assert slot_events(skipped) == [("pet_name", "-"), ("requested_slot", None)]


def test_when_the_other_way_fails_twice_too_a_person_takes_over_and_the_form_ends():
    history = [asked("pet"), *refused("pet", "恐龙"), *refused("pet", "恐龙")]
    again = run({"requested_slot": "pet"}, "恐龙", events=[*history, {"event": "user"}])
    assert again["responses"][-1]["response"] == "utter_form_another_way"  # the second time that way
    history += refused("pet", "恐龙")
    result = run({"requested_slot": "pet"}, "恐龙", events=[*history, {"event": "user"}])
    last = result["responses"][-1]
    assert last["response"] == "utter_form_hand_over" and last["custom"]["handoff"]["reason"] == "form_stuck"
    assert ("requested_slot", None) in slot_events(result)
    assert {"event": "active_loop", "name": None} in [
        {k: e.get(k) for k in ("event", "name")} for e in result["events"]
    ]


def test_only_messages_in_a_row_that_left_the_question_unanswered_count():
    """The events end with the message being read, after which the form is about to ask ``slot`` again."""
    now = {"event": "user"}
    assert answers_not_taken([asked("pet"), *refused("pet", "x"), now], "pet") == 2
    answered = [{"event": "user"}, {"event": "slot", "name": "pet", "value": "猫"}, asked("pet_name")]
    assert answers_not_taken([asked("pet"), *refused("pet", "x"), *answered, now], "pet_name") == 1
    other_question = [asked("pet_name"), {"event": "user"}, asked("pet")]
    assert answers_not_taken([*other_question, *refused("pet", "x"), now], "pet") == 2
    # whatever else a message gave, the question it left unanswered counts it
    gave_a_name = [{"event": "user"}, {"event": "slot", "name": "pet_name", "value": "旺财"}, asked("pet")]
    assert answers_not_taken([asked("pet"), *gave_a_name, now], "pet") == 2
    # so does a side question the rules answered: the NLU may take an answer for one every time
    side = [{"event": "user"}, {"event": "action_execution_rejected", "name": "test_pet_form"}, asked("pet")]
    assert answers_not_taken([asked("pet"), *side, *side, now], "pet") == 3
    assert answers_not_taken([now], "pet") == 0  # the form starts with this message: nothing was asked yet
    assert answers_not_taken([], "pet") == 0
