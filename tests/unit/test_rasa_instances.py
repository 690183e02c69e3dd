"""Rasa instances that come and go (web/rasa_client.py): rendezvous hashing keeps every conversation
where it was when an instance is added or removed, except that instance's own share, and a message
whose instance is down, or dies mid-turn, is answered by the next instance of its ranking.

The instances here are Rasa stand-ins (tests/wechat/rasa_standin.py) and a socket that drops the
connection the way a killed process does: the subject is the client's choice of instance. The real
Rasa side (the ticket of a dead instance removed from the lock store) is in
tests/integration/test_rasa_takeover.py, and bench/rasa_failover.py kills real Rasa processes.
"""

from __future__ import annotations

import json
import socket
import socketserver
import threading
from collections.abc import Iterator

import pytest

from tests.wechat.rasa_standin import RasaStandIn
from tools.stack import free_port
from web.rasa_client import RasaClient, RasaUnavailable, ranked_instances

SENDERS = [f"oSender{i:05d}" for i in range(20000)]


def _homes(urls: tuple[str, ...]) -> dict[str, str]:
    return {sender: ranked_instances(urls, sender)[0] for sender in SENDERS}


def test_a_conversation_always_goes_to_the_same_instance_and_the_load_is_spread():
    urls = ("http://rasa-0.rasa:5005", "http://rasa-1.rasa:5005", "http://rasa-2.rasa:5005")
    homes = _homes(urls)
    assert homes == _homes(urls) == _homes(tuple(reversed(urls)))  # the order of RASA_URL does not matter
    shares = [sum(home == url for home in homes.values()) / len(SENDERS) for url in urls]
    assert all(0.30 < share < 0.37 for share in shares), shares


def test_adding_a_fourth_instance_moves_about_a_quarter_and_only_to_it():
    three = tuple(f"http://rasa-{n}.rasa:5005" for n in range(3))
    before, after = _homes(three), _homes((*three, "http://rasa-3.rasa:5005"))
    moved = [sender for sender in SENDERS if before[sender] != after[sender]]
    assert 0.22 < len(moved) / len(SENDERS) < 0.28
    assert {after[sender] for sender in moved} == {"http://rasa-3.rasa:5005"}


def test_removing_an_instance_moves_only_its_own_conversations():
    four = tuple(f"http://rasa-{n}.rasa:5005" for n in range(4))
    before, after = _homes(four), _homes(four[:2] + four[3:])
    moved = {sender for sender in SENDERS if before[sender] != after[sender]}
    assert moved == {sender for sender in SENDERS if before[sender] == four[2]}


class DroppingInstance(socketserver.ThreadingTCPServer):
    """Reads a request and closes the connection without an answer, as a Rasa process killed
    mid-turn does; answers ``GET /`` only when ``alive`` (a process that still runs)."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, alive: bool, drops: int) -> None:
        self.alive, self.drops, self.posts = alive, drops, 0
        self.bodies: list[dict] = []
        super().__init__(("127.0.0.1", 0), self._Handler)
        self.url = f"http://127.0.0.1:{self.server_address[1]}"
        threading.Thread(target=self.serve_forever, daemon=True).start()

    class _Handler(socketserver.StreamRequestHandler):
        def handle(self) -> None:
            server: DroppingInstance = self.server  # type: ignore[assignment]
            request_line = self.rfile.readline().decode()
            headers = {}
            while (line := self.rfile.readline().decode().strip()) != "":
                name, _, value = line.partition(":")
                headers[name.lower()] = value.strip()
            body = self.rfile.read(int(headers.get("content-length", 0)))
            if request_line.startswith("GET"):
                if server.alive:
                    self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
                else:
                    self.connection.shutdown(socket.SHUT_RDWR)
                return
            server.posts += 1
            server.bodies.append(json.loads(body))
            if server.posts <= server.drops:
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            body = b'[{"recipient_id": "x", "text": "still here"}]'
            head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
            self.wfile.write(head.encode() + body)


@pytest.fixture
def standin() -> Iterator[RasaStandIn]:
    rasa = RasaStandIn()
    thread = threading.Thread(target=rasa.server.serve_forever, daemon=True)
    thread.start()
    yield rasa
    rasa.server.shutdown()


def _sender_homed_at(urls: tuple[str, ...], url: str) -> str:
    return next(sender for sender in SENDERS if ranked_instances(urls, sender)[0] == url)


def test_a_message_whose_instance_is_down_is_answered_by_the_next_and_the_dead_one_is_skipped(standin):
    dead = f"http://127.0.0.1:{free_port()}"  # nothing listens
    urls = (dead, standin.url)
    client = RasaClient(urls, "token", timeout=5)
    first, second = _sender_homed_at(urls, dead), [s for s in SENDERS if ranked_instances(urls, s)[0] == dead][1]
    assert client.exchange(first, "你好").messages[0].text == "收到：你好"
    assert client.exchange(second, "在吗").messages[0].text == "收到：在吗"
    assert [r.get("taken_over") for r in standin.requests_from(first)] == [None]  # it never reached the dead one
    assert client._order(second)[-1] == dead  # skipped while it is down, tried last


def test_a_message_whose_instance_dies_mid_turn_is_taken_over_by_the_next(standin):
    dying = DroppingInstance(alive=False, drops=1)
    urls = (dying.url, standin.url)
    sender = _sender_homed_at(urls, dying.url)
    turn = RasaClient(urls, "token", timeout=5).exchange(sender, "我想预约结婚登记")
    assert turn.messages[0].text == "收到：我想预约结婚登记"
    assert dying.posts == 1
    taken = standin.requests_from(sender)
    assert [r.get("taken_over") for r in taken] == [True]  # the next removes the dead ticket
    # the same message id on both: the actions' idempotency keys are made from it
    assert taken[0]["message_id"] == dying.bodies[0]["message_id"]
    dying.shutdown()


def test_a_dropped_kept_alive_connection_of_a_live_instance_is_sent_again_there_once(standin):
    flaky = DroppingInstance(alive=True, drops=1)
    urls = (flaky.url, standin.url)
    sender = _sender_homed_at(urls, flaky.url)
    assert RasaClient(urls, "token", timeout=5).exchange(sender, "你好").messages[0].text == "still here"
    assert flaky.posts == 2 and standin.requests_from(sender) == []
    flaky.shutdown()


def test_no_instance_reachable_is_rasa_unavailable():
    urls = (f"http://127.0.0.1:{free_port()}", f"http://127.0.0.1:{free_port()}")
    with pytest.raises(RasaUnavailable):
        RasaClient(urls, "token", timeout=2).exchange("oNobody", "你好")


def test_a_slow_answer_is_in_doubt_and_never_sent_to_another_instance(standin):
    other = RasaStandIn()
    threading.Thread(target=other.server.serve_forever, daemon=True).start()
    urls = (standin.url, other.url)
    sender = _sender_homed_at(urls, standin.url)
    standin.behave(sender, delay=2.0)
    with pytest.raises(RasaUnavailable):
        RasaClient(urls, "token", timeout=0.5).exchange(sender, "你好")
    assert other.requests_from(sender) == []
    other.server.shutdown()
