"""Talking to Rasa: one conversation always goes to the same Rasa instance.

Rasa Open Source's Redis lock store can race when one conversation reaches two
instances (RasaHQ/rasa#9213), so the instance is chosen by a stable hash of the
sender id over the configured ``RASA_URL`` list.

Messages go to the project's ``platform`` channel (bot/channels/platform.py), which
answers like Rasa's REST channel and adds what the bot understood (docs/analytics.md). The
channel takes only posts that carry the Rasa token in an ``Authorization`` header.

Every resident message crosses this hop, so it is made with urllib3 (the transport
``requests`` is built on) directly: py-spy saw ``requests``' own layer around it take about
0.7 ms of CPU per call (docs/performance.md, 2026-11-30).
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import dataclass, field
from typing import Any

import urllib3

from common import metrics

log = logging.getLogger(__name__)


class RasaUnavailable(Exception):
    """Rasa did not answer in time or answered with an error."""


@dataclass(frozen=True)
class Button:
    title: str
    payload: str


@dataclass(frozen=True)
class BotMessage:
    text: str = ""
    buttons: tuple[Button, ...] = ()
    image: str | None = None
    custom: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_rasa(cls, data: dict[str, Any]) -> BotMessage:
        buttons = tuple(Button(str(b.get("title", "")), str(b.get("payload", ""))) for b in data.get("buttons") or [])
        return cls(
            text=data.get("text") or "", buttons=buttons, image=data.get("image"), custom=dict(data.get("custom") or {})
        )

    def to_rest(self, recipient_id: str) -> dict[str, Any]:
        """The Rasa REST-channel shape, so existing Rasa chat widgets understand it."""
        out: dict[str, Any] = {"recipient_id": recipient_id}
        if self.text:
            out["text"] = self.text
        if self.buttons:
            out["buttons"] = [{"title": b.title, "payload": b.payload} for b in self.buttons]
        if self.image:
            out["image"] = self.image
        if self.custom:
            out["custom"] = self.custom
        return out


@dataclass(frozen=True)
class BotTurn:
    """One exchange: the bot's messages and, from the platform channel, what it understood
    (``intent``, ``confidence``, ``guess``, ``entities``, ``fallback``, ``actions``,
    ``active_loop``, ``requested_slot``, ``flows``, ``district``; empty when unknown)."""

    messages: list[BotMessage]
    understanding: dict[str, Any] = field(default_factory=dict)


def pick_instance(urls: tuple[str, ...], sender_id: str) -> str:
    digest = hashlib.sha256(sender_id.encode("utf-8")).digest()
    return urls[int.from_bytes(digest[:8], "big") % len(urls)]


class RasaClient:
    def __init__(self, urls: tuple[str, ...], token: str, timeout: float = 10.0, connections: int = 64) -> None:
        """``connections``: kept-alive connections per Rasa instance; at least the threads that
        call Rasa at once (a call beyond them opens a connection it then drops)."""
        self.urls, self.token, self.timeout = urls, token, timeout
        self.http = urllib3.PoolManager(maxsize=connections, retries=False)

    def exchange(
        self, sender_id: str, text: str, metadata: dict[str, Any] | None = None, timeout: float | None = None
    ) -> BotTurn:
        """Send one resident message; the bot's replies and what it understood."""
        url = pick_instance(self.urls, sender_id) + "/webhooks/platform/webhook"
        payload = json.dumps({"sender": sender_id, "message": text, "metadata": metadata or {}}, ensure_ascii=False)
        started = time.perf_counter()
        try:
            resp = self.http.request(
                "POST",
                url,
                body=payload.encode("utf-8"),
                timeout=timeout or self.timeout,
                headers={"Content-Type": "application/json; charset=utf-8", "Authorization": f"Bearer {self.token}"},
            )
            if resp.status >= 400:
                raise RasaUnavailable(f"Rasa answered {resp.status}")
            body = json.loads(resp.data)
        except (urllib3.exceptions.HTTPError, ValueError, RasaUnavailable) as exc:
            metrics.observe_call("rasa", "webhook", time.perf_counter() - started, ok=False)
            log.warning("rasa unavailable", extra={"error": type(exc).__name__})
            raise RasaUnavailable(str(exc)) from exc
        metrics.observe_call("rasa", "webhook", time.perf_counter() - started, ok=True)
        if isinstance(body, list):  # a plain REST-channel answer (no understanding)
            return BotTurn([BotMessage.from_rasa(m) for m in body])
        return BotTurn(
            [BotMessage.from_rasa(m) for m in body.get("messages") or []], dict(body.get("understanding") or {})
        )

    def ready(self) -> None:
        for url in self.urls:
            resp = self.http.request("GET", url + "/", timeout=2)
            if resp.status >= 400:
                raise RasaUnavailable(f"{url} answered {resp.status}")
