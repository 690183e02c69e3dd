"""Talking to Rasa: one conversation always goes to the same Rasa instance while it lives.

Rasa Open Source's Redis lock store can race when one conversation reaches two
instances (RasaHQ/rasa#9213), so the instance is chosen by rendezvous (highest random
weight) hashing of the sender id over the configured ``RASA_URL`` list: adding or removing
one instance moves only the conversations that rank it first, about 1/n of them, and every
other conversation stays where its tracker is warm.

Instances come and go (docs/deployment.md, "Rasa instances that come and go"): a message
that cannot reach its instance (connection refused: it is down) goes to the next one in the
sender's ranking, and the instance is skipped for ``DOWN_FOR`` seconds. A message whose
instance dies mid-turn (the connection drops without an answer) is sent to the next instance
too, marked ``taken_over`` so that the instance taking it first removes the dead one's ticket
from Rasa's lock store (bot/channels/platform.py; the ticket would hold the conversation for
Rasa's 60 s lock lifetime); Rasa saves a tracker only at the end of a turn, so the turn is
done once, from the shared tracker store; the message keeps its ``message_id`` on every
instance it is sent to, so the back-office writes of its actions (idempotency keys made from
it) happen once. A read timeout is in doubt
(the turn may still finish): it is never sent twice.

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
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import urllib3
from urllib3.exceptions import NewConnectionError, ProtocolError

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


def ranked_instances(urls: tuple[str, ...], sender_id: str) -> list[str]:
    """The instances in the order this sender's conversation tries them: rendezvous hashing, each
    instance weighted by a hash of (instance, sender); the first is where the conversation lives."""
    sender = sender_id.encode("utf-8")
    return sorted(urls, key=lambda url: hashlib.sha256(url.encode("utf-8") + b"\n" + sender).digest(), reverse=True)


DOWN_FOR = 5.0  # seconds an instance that refused a connection is skipped


class _Gone(Exception):
    """The instance could not take the message: refused the connection, or died before answering."""

    def __init__(self, mid_turn: bool) -> None:
        super().__init__("mid-turn" if mid_turn else "refused")
        self.mid_turn = mid_turn


class RasaClient:
    def __init__(
        self,
        urls: tuple[str, ...],
        token: str,
        timeout: float = 10.0,
        connections: int = 64,
    ) -> None:
        """``connections``: kept-alive connections per Rasa instance; at least the threads that
        call Rasa at once (a call beyond them opens a connection it then drops)."""
        self.urls, self.token, self.timeout = urls, token, timeout
        self.http = urllib3.PoolManager(maxsize=connections, retries=False)
        self._down: dict[str, float] = {}  # instance -> monotonic time until which it is skipped
        self._down_lock = threading.Lock()

    def _order(self, sender_id: str) -> list[str]:
        """The sender's ranking with instances known to be down moved to the end (tried last, not never)."""
        ranked = ranked_instances(self.urls, sender_id)
        now = time.monotonic()
        with self._down_lock:
            down = {url for url, until in self._down.items() if until > now}
        return [url for url in ranked if url not in down] + [url for url in ranked if url in down]

    def _mark_down(self, url: str) -> None:
        with self._down_lock:
            self._down[url] = time.monotonic() + DOWN_FOR

    def exchange(
        self, sender_id: str, text: str, metadata: dict[str, Any] | None = None, timeout: float | None = None
    ) -> BotTurn:
        """Send one resident message; the bot's replies and what it understood. Tries the sender's
        instances in rank order while they are gone (refused, or died mid-turn); raises
        RasaUnavailable when none answers, or on an answer in doubt (a timeout, an error status)."""
        # one id for the message however many instances it is sent to: Rasa keeps it as the turn's
        # message_id, from which the actions make their back-office idempotency keys
        message = {"sender": sender_id, "message": text, "metadata": metadata or {}, "message_id": uuid.uuid4().hex}
        started = time.perf_counter()
        deadline = started + (timeout or self.timeout)
        try:
            for url in self._order(sender_id):
                try:
                    body = self._post_once_more_if_alive(url, json.dumps(message, ensure_ascii=False), deadline)
                    break
                except _Gone as gone:
                    self._mark_down(url)
                    log.warning("rasa instance gone", extra={"instance": url, "mid_turn": gone.mid_turn})
                    if gone.mid_turn:
                        message["taken_over"] = True
            else:
                raise RasaUnavailable("no Rasa instance could be reached")
        except RasaUnavailable as exc:
            metrics.observe_call("rasa", "webhook", time.perf_counter() - started, ok=False)
            log.warning("rasa unavailable", extra={"error": str(exc)})
            raise
        metrics.observe_call("rasa", "webhook", time.perf_counter() - started, ok=True)
        if isinstance(body, list):  # a plain REST-channel answer (no understanding)
            return BotTurn([BotMessage.from_rasa(m) for m in body])
        return BotTurn(
            [BotMessage.from_rasa(m) for m in body.get("messages") or []], dict(body.get("understanding") or {})
        )

    def _post_once_more_if_alive(self, url: str, payload: str, deadline: float) -> Any:
        """A dropped connection from an instance that still answers on a new one was a kept-alive
        connection it had closed (the message never arrived): sent again there, once."""
        try:
            return self._post(url, payload, max(deadline - time.perf_counter(), 0.1))
        except _Gone as gone:
            if not gone.mid_turn or not self._alive(url):
                raise
        return self._post(url, payload, max(deadline - time.perf_counter(), 0.1))

    def _alive(self, url: str) -> bool:
        try:
            return self.http.request("GET", url + "/", timeout=1.0).status < 400
        except urllib3.exceptions.HTTPError:
            return False

    def _post(self, url: str, payload: str, timeout: float) -> Any:
        try:
            resp = self.http.request(
                "POST",
                url + "/webhooks/platform/webhook",
                body=payload.encode("utf-8"),
                timeout=timeout,
                headers={"Content-Type": "application/json; charset=utf-8", "Authorization": f"Bearer {self.token}"},
            )
        except NewConnectionError as exc:  # nothing listens: the message never arrived
            raise _Gone(mid_turn=False) from exc
        except ProtocolError as exc:  # the connection dropped before an answer: the instance died mid-turn
            raise _Gone(mid_turn=True) from exc
        except urllib3.exceptions.HTTPError as exc:  # a timeout: in doubt, the turn may still finish
            raise RasaUnavailable(f"{type(exc).__name__}") from exc
        if resp.status >= 400:
            raise RasaUnavailable(f"Rasa answered {resp.status}")
        try:
            return json.loads(resp.data)
        except ValueError as exc:
            raise RasaUnavailable("Rasa's answer is not JSON") from exc

    def ready(self) -> None:
        """Ready while at least one instance answers (the others' conversations fail over to it)."""
        failures = []
        for url in self.urls:
            try:
                resp = self.http.request("GET", url + "/", timeout=2)
            except urllib3.exceptions.HTTPError as exc:
                failures.append(f"{url}: {type(exc).__name__}")
                continue
            if resp.status < 400:
                return
            failures.append(f"{url} answered {resp.status}")
        raise RasaUnavailable("; ".join(failures))
