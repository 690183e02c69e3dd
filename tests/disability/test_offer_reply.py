"""The 两项补贴 offer's answer (actions/benefits/disability.py) with the back-office unreachable: both subsidies go
to the outbox after one wait, and a second prediction of the offer for the same message says nothing."""

from __future__ import annotations

import socket
import time

from actions import services
from actions.benefits import disability
from actions.dispatcher import Dispatcher
from actions.tracker import Tracker
from common.backoffice_client import BackofficeClient


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tracker(*events: dict) -> Tracker:
    return Tracker.from_dict(
        {
            "sender_id": "oOfferReply",
            "slots": {"disability_offer": "apply", "disability_member": "7|disability_care,disability_living"},
            "latest_message": {"text": "对", "intent": {"name": "nlu_fallback"}},
            "events": [
                {"event": "action", "name": "action_disability_apply"},
                {"event": "action", "name": "action_listen"},
                {"event": "user", "text": "对", "message_id": "m1"},
                *events,
            ],
        }
    )


def test_both_subsidies_go_to_the_outbox_after_one_wait(monkeypatch):
    down = BackofficeClient(f"http://127.0.0.1:{closed_port()}", "token")
    monkeypatch.setattr(services, "client", lambda: down)
    dispatcher = Dispatcher()
    started = time.monotonic()
    disability.offer_reply(dispatcher, tracker(), {})
    waited = time.monotonic() - started
    kept = [m["custom"]["outbox"] for m in dispatcher.messages if m["custom"].get("outbox")]
    assert [k["body"]["programme"] for k in kept] == ["disability_care", "disability_living"]
    assert {k["kind"] for k in kept} == {"benefit_application"} and len({k["id"] for k in kept}) == 2
    assert [m["template"] for m in dispatcher.messages] == ["utter_disability_saved_for_later", None]
    assert waited < 4  # one connection's retries, not one per subsidy


def test_the_offer_predicted_again_for_the_same_message_says_nothing():
    dispatcher = Dispatcher()
    again = tracker({"event": "action", "name": "action_disability_offer_reply"})
    assert disability.offer_reply(dispatcher, again, {}) == [] and dispatcher.messages == []


def test_a_yes_after_the_offer_was_answered_is_acknowledged_not_misunderstood():
    answered = Tracker.from_dict(
        {
            "sender_id": "oOfferReply",
            "slots": {"disability_offer": None, "disability_member": None},
            "latest_message": {"text": "好的", "intent": {"name": "affirm"}},
            "events": [
                {"event": "action", "name": "action_disability_offer_reply"},
                {"event": "action", "name": "action_listen"},
                {"event": "user", "text": "好的", "message_id": "m2"},
            ],
        }
    )
    dispatcher = Dispatcher()
    disability.offer_reply(dispatcher, answered, {})
    assert [m["text"] for m in dispatcher.messages] == ["好的。还有别的要办的，直接跟我说就行。"]
