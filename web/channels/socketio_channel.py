"""Rasa's Socket.IO channel (``/socket.io``), so ``rasa-webchat`` works as it does against Rasa.

Event names and session handling are those of Rasa 3.6's ``SocketIOInput`` with
``session_persistence``: the widget sends ``session_request`` ``{session_id}`` and keeps the id
``session_confirm`` answers; it sends ``user_uttered`` ``{message, session_id}``; the bot's lines
come as ``bot_uttered`` in the shapes of Rasa's ``SocketIOOutput`` (``text``; ``text`` with
``quick_replies``; ``attachment``). One difference, on purpose: the session id is made by the
server and signed (web/channels/web_senders.py, ``SocketTokens``), never the one the widget
proposes, so a page cannot speak as another conversation; an id this server did not sign gets a
new conversation. Its conversation is ``web:sio-<random>``, a name a REST body may not use.

Every message goes through the routing point (web/conversations/router.py) with the REST channel's
checks (plain text, length, the per-address and per-resident rate limits, at most ``WEB_CHAT_SLOTS``
turns at a time, a number picking a button); a refusal is a bot line in Chinese. Replies that
come later (an agent's answer) are written to the mailbox like every web reply and emitted live to
the conversation's room by :func:`live_emitter`, from any process, through Redis
(``socketio.RedisManager``). Origins: the app's own and ``CHAT_ALLOWED_ORIGINS``
(web/channels/cors.py); any other is refused at the handshake. Serving: docs/architecture.md,
"The Socket.IO channel".
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from contextlib import suppress
from typing import Any
from urllib.parse import urlsplit

import redis
import socketio
from flask import Flask

from common.plain_text import plain
from web.channels.ratelimit import AddressLimit, ResidentRateLimit
from web.channels.web_senders import SOCKET, SocketTokens, sender_id
from web.conversations.router import Inbound, Router
from web.texts import text as channel_text
from web.texts import wechat_text
from web.texts.choices import Choices, as_sent_from_web

log = logging.getLogger(__name__)

PATH = "socket.io"  # Rasa's socketio_path default, /socket.io
USER_EVENT, BOT_EVENT = "user_uttered", "bot_uttered"
MAX_TEXT = 2000  # as the REST channel


def bot_uttered(message: dict[str, Any]) -> list[dict[str, Any]]:
    """A bot line (the REST channel's shape, as replies and the mailbox hold it) as Rasa's
    ``SocketIOOutput`` emits it: text split at blank lines, buttons as ``quick_replies`` on the
    last part, an image as an ``attachment``."""
    out: list[dict[str, Any]] = []
    text = str(message.get("text") or "")
    buttons = message.get("buttons") or []
    if buttons:
        parts = [{"text": part, "quick_replies": []} for part in (text.strip().split("\n\n") or [text])]
        parts[-1]["quick_replies"] = [
            {"content_type": "text", "title": b["title"], "payload": b["payload"]} for b in buttons
        ]
        out += parts
    elif text:
        out += [{"text": part} for part in text.strip().split("\n\n")]
    if message.get("image"):
        out.append({"attachment": {"type": "image", "payload": {"src": message["image"]}}})
    return out


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


class SocketChannel:
    """The Socket.IO server of one web process, its handlers on the routing point."""

    def __init__(
        self,
        router: Router,
        tokens: SocketTokens,
        limiter: ResidentRateLimit,
        addresses: AddressLimit,
        client: redis.Redis,
        redis_url: str,
        origins: Iterable[str],
        slots: int,
    ) -> None:
        self.router, self.tokens, self.limiter, self.choices = router, tokens, limiter, Choices(client)
        self.addresses = addresses  # the web chat's count per client address, shared with the REST channel
        self.free = threading.BoundedSemaphore(slots)  # turns at a time, as the REST channel's admission
        self.server = socketio.Server(
            async_mode="threading",
            client_manager=socketio.RedisManager(redis_url, channel="civic-socketio"),
            cors_allowed_origins=list(origins),  # never empty: [] would let every origin in
            cors_credentials=False,
            max_http_buffer_size=64 * 1024,
        )
        self.server.on("session_request", self.session_request)
        self.server.on(USER_EVENT, self.user_uttered)

    def session_request(self, sid: str, data: Any = None) -> None:
        proposed = data.get("session_id") if isinstance(data, dict) else None
        sender = self.tokens.sender(proposed) if isinstance(proposed, str) else None
        if sender is None or not sender.startswith(SOCKET):
            sender = self.tokens.new_sender()
        self.server.save_session(sid, {"sender": sender})
        self.server.enter_room(sid, sender_id(sender))  # the conversation's room: every tab, any process
        self.server.emit("session_confirm", self.tokens.issue(sender), to=sid)

    def _sender(self, sid: str, data: dict[str, Any]) -> str | None:
        """The conversation this message is for: the session id's, when this server signed it."""
        token = data.get("session_id")
        if isinstance(token, str):
            sender = self.tokens.sender(token)
            if sender is not None and sender.startswith(SOCKET):
                return sender
        return self.server.get_session(sid).get("sender")

    def _say(self, sid: str, messages: Iterable[dict[str, Any]]) -> None:
        for message in messages:
            for part in bot_uttered(message):
                self.server.emit(BOT_EVENT, part, to=sid)

    def user_uttered(self, sid: str, data: Any) -> None:
        if not isinstance(data, dict) or not isinstance(data.get("message"), str):
            return
        if not self.addresses.allow(self.server.get_environ(sid).get("REMOTE_ADDR")):  # as each REST request counts
            return self._say(sid, [{"text": channel_text("address_limited")}])
        sender = self._sender(sid, data)
        if sender is None:  # Rasa ignores a message without a session too
            log.info("socket.io message without a session ignored")
            return
        message = plain(data["message"])
        if len(message) > MAX_TEXT:
            return self._say(sid, [{"text": f"一条消息最多 {MAX_TEXT} 个字，请分几次发送"}])
        said = message.strip()
        if not said:
            return None
        conversation = sender_id(sender)
        if not self.limiter.allow(conversation):
            return self._say(sid, [{"text": channel_text("rate_limited")}])
        if not self.free.acquire(blocking=False):
            return self._say(sid, [{"text": channel_text("web_chat_busy")}])
        try:
            try:
                picked = self.choices.resolve(conversation, said)
            except redis.RedisError:
                picked = None
            sent = picked or as_sent_from_web(said)
            replies = self.router.handle(Inbound("web", conversation, sent, transcript=said if sent != said else None))
        finally:
            self.free.release()
        with suppress(redis.RedisError):
            self.choices.remember(conversation, wechat_text.last_buttons(replies))
        for reply in replies:  # to the room: the resident's other tabs see the turn too
            for part in bot_uttered(reply.to_rest(sender)):
                self.server.emit(BOT_EVENT, part, room=conversation)
        return None

    def mount(self, app: Flask) -> None:
        """Serve ``/socket.io`` in front of the app (the rest of the paths go to Flask)."""
        app.wsgi_app = socketio.WSGIApp(self.server, app.wsgi_app, socketio_path=PATH)  # type: ignore[method-assign]


def allowed(public_base_url: str, chat_allowed_origins: Iterable[str]) -> list[str]:
    """The origins whose pages may open a Socket.IO session: the app's own and the allow-list."""
    return [_origin(public_base_url), *chat_allowed_origins]


def live_emitter(redis_url: str) -> Callable[[str, list[dict[str, Any]]], None]:
    """Emits mailbox lines (REST shape) to a Socket.IO conversation's room, from any process."""
    manager = socketio.RedisManager(redis_url, channel="civic-socketio", write_only=True)

    def emit(conversation_sender_id: str, bodies: list[dict[str, Any]]) -> None:
        if not conversation_sender_id.startswith(sender_id(SOCKET)):
            return
        for body in bodies:
            for part in bot_uttered(body):
                manager.emit(BOT_EVENT, part, room=conversation_sender_id, namespace="/")

    return emit
