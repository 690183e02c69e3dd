"""The web app's Rasa client under concurrency: every thread that waits on Rasa keeps its connection."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.serving import served
from web.rasa_client import RasaClient

CONCURRENT = 24  # more than requests' default pool of 10, fewer than the WeChat channel's bot threads


class KeepAliveRasa(BaseHTTPRequestHandler):
    """Answers like Rasa's platform channel, slowly, over kept-alive HTTP/1.1 connections
    (as Rasa's Sanic does; werkzeug's server closes every connection), noting each one."""

    protocol_version = "HTTP/1.1"
    connections: set[int] = set()

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.connections.add(self.client_address[1])
        time.sleep(0.2)  # the whole round is in flight at once
        out = json.dumps({"messages": [{"text": "收到：" + body["message"]}], "understanding": {}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture()
def rasa_url() -> Iterator[str]:
    KeepAliveRasa.connections = set()
    server = ThreadingHTTPServer(("127.0.0.1", 0), KeepAliveRasa)
    server.daemon_threads = True
    with served(server) as url:
        yield url


def test_concurrent_calls_reuse_their_connections(rasa_url: str) -> None:
    client = RasaClient((rasa_url,), "token")
    with ThreadPoolExecutor(CONCURRENT) as pool:
        for _ in range(3):
            turns = list(pool.map(lambda i: client.exchange(f"oPool{i}", "你好"), range(CONCURRENT)))
            assert [turn.messages[0].text for turn in turns] == ["收到：你好"] * CONCURRENT
    # with requests' default pool of 10, every connection past the tenth is closed after its
    # call and a new one opened for the next: 24 + 14 + 14
    assert len(KeepAliveRasa.connections) <= CONCURRENT
