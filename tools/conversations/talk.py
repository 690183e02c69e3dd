"""One resident talking to the live stack, as residents do: WeChat messages through the stand-in of
WeChat's servers (signed XML to ``/wechat``), or the web chat's REST channel.

What the resident was answered is read from the platform's transcript (``message`` rows), which the
routing point writes in one transaction with the resident's line whoever answers (the bot, or the
agent desk once a conversation is handed off) and however the answer leaves (WeChat's passive reply,
or later through the customer-service API when the bot is slower than the reply budget). A turn is
done when its resident line is there. The passive reply is kept too: the platform may add to it.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Protocol

import requests
from sqlalchemy import Engine, select

from tools.conversations.spec import PHOTO
from web.conversations.models import Conversation as ConversationRow
from web.conversations.models import Message

TURN_TIMEOUT = 90.0  # seconds a turn may take on a loaded two-core machine before it counts as unanswered


class StackLike(Protocol):
    env: dict[str, str]
    wechat: Any  # tools.wechat_standin.WechatStandin

    def url(self, service: str) -> str: ...


@dataclass
class Turn:
    said: str
    replies: list[str] = field(default_factory=list)  # the bot's (or the desk's) lines, in order
    passive: str = ""  # WeChat's passive reply, as the resident's phone shows it
    intent: str | None = None
    fallback: bool = False
    seconds: float = 0.0
    answered: bool = True  # False: no transcript line within TURN_TIMEOUT

    @property
    def shown(self) -> str:
        return "\n".join([*self.replies, self.passive])


class Talker:
    """Sends one conversation's messages in order and waits for each answer."""

    def __init__(self, stack: StackLike, platform: Engine, channel: str, tag: str) -> None:
        self.stack, self.platform, self.channel = stack, platform, channel
        suffix = f"{tag[:24]}-{uuid.uuid4().hex[:8]}"
        self.web_sender = f"cv-{suffix}"
        self.sender_id = f"oCv{suffix}" if channel == "wechat" else f"web:{self.web_sender}"
        self.sent = 0
        self.http = requests.Session()

    def say(self, text: str) -> Turn:
        started = time.monotonic()
        passive = self._send(text)
        self.sent += 1
        turn = self._wait(text)
        turn.passive, turn.seconds = passive, time.monotonic() - started
        return turn

    def _send(self, text: str) -> str:
        if text == PHOTO:  # an image message; the stand-in serves its media (a small JPEG) to the platform
            return self.stack.wechat.send_image(self.sender_id).reply or ""
        if self.channel == "wechat":
            delivery = self.stack.wechat.send_text(self.sender_id, text)
            return delivery.reply or ""
        resp = self.http.post(
            self.stack.url("web") + "/webhooks/rest/webhook",
            json={"sender": self.web_sender, "message": text},
            timeout=TURN_TIMEOUT,
        )
        resp.raise_for_status()
        return ""  # the same lines are in the transcript

    def _lines(self) -> list[Any]:
        with self.platform.connect() as conn:
            return list(
                conn.execute(
                    select(Message.author, Message.text, Message.meta)
                    .join(ConversationRow, Message.conversation_id == ConversationRow.id)
                    .where(ConversationRow.sender_id == self.sender_id)
                    .order_by(Message.id)
                )
            )

    def _wait(self, text: str) -> Turn:
        deadline = time.monotonic() + TURN_TIMEOUT
        while True:
            lines = self._lines()
            mine = [i for i, line in enumerate(lines) if line.author == "resident"]
            if len(mine) >= self.sent:
                own = lines[mine[self.sent - 1]]
                after = lines[mine[self.sent - 1] + 1 : mine[self.sent] if len(mine) > self.sent else None]
                meta = own.meta or {}
                return Turn(
                    text,
                    [line.text for line in after if line.author != "resident" and line.text],
                    intent=meta.get("intent"),
                    fallback=bool(meta.get("fallback")),
                )
            if time.monotonic() > deadline:
                return Turn(text, answered=False)
            time.sleep(0.25)

    def tracker_events(self) -> list[dict]:
        """Rasa's events of the current session (the form's requested slots)."""
        resp = self.http.get(
            f"{self.stack.url('rasa')}/conversations/{self.sender_id}/tracker",
            params={"token": self.stack.env["RASA_TOKEN"]},
            timeout=30,
        )
        resp.raise_for_status()
        return resp.json().get("events") or []
