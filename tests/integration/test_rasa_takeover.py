"""A conversation whose Rasa instance died mid-turn is answered at once by real Rasa, not after the dead
instance's lock ticket expires (Rasa's lock lifetime is 60 s): the message goes to the next instance
of the sender's ranking marked ``taken_over`` (web/rasa_client.py), and the platform channel removes
the dead ticket from Rasa's Redis lock store before the turn (bot/channels/platform.py).

The dead instance is a socket that drops the connection as a killed process does
(tests/unit/test_rasa_instances.py); the instance that takes over is the live stack's real Rasa,
and the ticket is planted in its real lock store the way a Rasa process writes one.
"""

from __future__ import annotations

import json
import time
import uuid

import pytest
import redis
import requests

from tests.conftest import Stack
from tests.unit.test_rasa_instances import DroppingInstance
from web.rasa_client import RasaClient, RasaUnavailable, ranked_instances

pytestmark = pytest.mark.stack


def _held_by_a_dead_instance(live_stack: Stack, sender: str, seconds: float) -> None:
    """The lock a Rasa process killed mid-turn leaves: one ticket, being served, until it expires."""
    ticket = json.dumps({"number": 0, "expires": time.time() + seconds})
    lock = json.dumps({"conversation_id": sender, "tickets": [ticket]})
    redis.Redis.from_url(live_stack.env["REDIS_URL"]).set(f"civic:lock:{sender}", lock)


def _homed_at_the_dead_one(urls: tuple[str, ...], dead: str) -> str:
    return next(
        s for s in (f"oTakeover{uuid.uuid4().hex[:10]}" for _ in range(1000)) if ranked_instances(urls, s)[0] == dead
    )


def test_a_message_taken_over_from_a_dead_instance_is_answered_at_once(live_stack: Stack):
    rasa = RasaClient((live_stack.env["RASA_URL"],), live_stack.env["RASA_TOKEN"], timeout=30)
    rasa.exchange(f"oWarm{uuid.uuid4().hex[:8]}", "你好")  # a first turn after start-up is slow on a busy machine
    dying = DroppingInstance(alive=False, drops=1)
    urls = (dying.url, live_stack.env["RASA_URL"])
    sender = _homed_at_the_dead_one(urls, dying.url)
    _held_by_a_dead_instance(live_stack, sender, seconds=60)
    started = time.monotonic()
    turn = RasaClient(urls, live_stack.env["RASA_TOKEN"], timeout=20).exchange(sender, "你好")
    took = time.monotonic() - started
    dying.shutdown()
    assert dying.posts == 1 and turn.messages and turn.messages[0].text
    assert took < 20, took  # the ticket held it for 60 s


def test_without_taking_over_the_dead_ticket_holds_the_conversation(live_stack: Stack):
    """The control: the same ticket, the message sent straight to real Rasa, waits out the ticket."""
    sender = f"oTakeover{uuid.uuid4().hex[:10]}"
    _held_by_a_dead_instance(live_stack, sender, seconds=10)
    with pytest.raises(RasaUnavailable):
        RasaClient((live_stack.env["RASA_URL"],), live_stack.env["RASA_TOKEN"], timeout=3).exchange(sender, "你好")


def test_rasa_keeps_the_message_id_the_web_app_gives(live_stack: Stack):
    """The id a message keeps on every instance it is sent to is the turn's message_id in the tracker,
    from which the actions make their idempotency keys (actions/assistance/apply.py)."""
    sender, given = f"oTakeover{uuid.uuid4().hex[:10]}", uuid.uuid4().hex
    resp = requests.post(
        live_stack.env["RASA_URL"] + "/webhooks/platform/webhook",
        json={"sender": sender, "message": "你好", "message_id": given},
        headers={"Authorization": f"Bearer {live_stack.env['RASA_TOKEN']}"},
        timeout=30,
    )
    assert resp.status_code == 200
    tracker = requests.get(
        f"{live_stack.env['RASA_URL']}/conversations/{sender}/tracker",
        params={"token": live_stack.env["RASA_TOKEN"]},
        timeout=30,
    ).json()
    assert [e.get("message_id") for e in tracker["events"] if e["event"] == "user"] == [given]
