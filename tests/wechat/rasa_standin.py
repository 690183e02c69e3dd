"""A small Rasa stand-in speaking Rasa's REST channel: records what it receives and is as
slow, and answers what, as each test asks. Used where the subject is the channel, not Rasa."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from typing import Any

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response


@dataclass
class Behaviour:
    delay: float = 0.0
    replies: list[dict[str, Any]] | None = None  # None: echo "收到：<message>"


class RasaStandIn:
    """Speaks Rasa's REST channel; records what it receives; as slow as a test asks."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.behaviour: dict[str, Behaviour] = {}
        self.lock = threading.Lock()
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    def behave(self, sender: str, delay: float = 0.0, replies: list[dict[str, Any]] | None = None) -> None:
        self.behaviour[sender] = Behaviour(delay, replies)

    def messages_from(self, sender: str) -> list[str]:
        with self.lock:
            return [r["message"] for r in self.received if r["sender"] == sender]

    def requests_from(self, sender: str) -> list[dict[str, Any]]:
        with self.lock:
            return [r for r in self.received if r["sender"] == sender]

    @Request.application
    def app(self, request: Request) -> Response:
        if request.method == "GET":
            return Response("Hello from the Rasa stand-in")
        body = json.loads(request.get_data())
        with self.lock:
            self.received.append(body)
        how = self.behaviour.get(body["sender"], Behaviour())
        time.sleep(how.delay)
        replies = how.replies if how.replies is not None else [{"text": f"收到：{body['message']}"}]
        return Response(
            json.dumps([{"recipient_id": body["sender"], **r} for r in replies]), content_type="application/json"
        )
