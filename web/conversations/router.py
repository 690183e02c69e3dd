"""The one routing point every channel calls: record the message, then bot or agent.

A conversation in state ``bot`` goes to Rasa; one that is ``queued`` or with an
``agent`` goes to the handoff queue instead, so the bot never answers over a human,
and so does a message an administrator's handoff rule matches (web/handoff/intake.py).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Callable

from sqlalchemy import insert, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from web.analytics import recording
from web.conversations import side_effects
from web.conversations.models import Conversation, Message
from web.handoff import config as desk_config
from web.handoff import intake
from web.rasa_client import BotMessage, RasaClient, RasaUnavailable, Turn
from web.review import inbox

log = logging.getLogger(__name__)

BOT_BUSY = "不好意思，系统现在有点忙，您的话我们已经记下了。请稍等一两分钟再发一次，或者拨打民政服务热线 12345。"


@dataclass(frozen=True)
class Inbound:
    channel: str  # "wechat" or "web"
    sender_id: str
    text: str
    metadata: dict[str, Any] = field(default_factory=dict)
    transcript: str | None = None  # what the transcript shows when ``text`` is a trigger (a location, a menu tap)


def conversation_for(sess: Session, channel: str, sender_id: str) -> Conversation:
    conv = sess.scalar(select(Conversation).where(Conversation.sender_id == sender_id))
    if conv is None:
        conv = Conversation(sender_id=sender_id, channel=channel, state="bot")
        sess.add(conv)
        sess.flush()
    return conv


def resident_line(sess: Session, inbound: Inbound, meta: dict[str, Any] | None = None) -> tuple[Conversation, Message]:
    """The resident's message in the transcript (what they wrote; what the bot was sent, if
    that differs, in ``meta.sent_to_bot``), flushed so it has its id."""
    conv = conversation_for(sess, inbound.channel, inbound.sender_id)
    conv.last_message_at = datetime.now()
    said = Message(conversation_id=conv.id, author="resident", text=inbound.transcript or inbound.text,
                   meta={**(meta or {}), **({"sent_to_bot": inbound.text} if inbound.transcript else {})})
    sess.add(said)
    sess.flush()
    return conv, said


Rewrite = Callable[[Session, Inbound], Inbound]


class Router:
    """Two short transactions per message, none held while Rasa thinks: the first records
    the resident's line (after ``rewrite``, e.g. a reply to a campaign push) and decides bot
    or desk; the second records the bot's lines, what it understood and its side effects.
    The second is an asynchronous commit on PostgreSQL (``synchronous_commit = off``): its
    rows can be rebuilt from Rasa's tracker, so a database crash in the next fraction of a
    second may lose them but never corrupts anything, and the resident does not wait for
    the disk. A turn with side effects (a handoff, an application) commits normally."""

    def __init__(self, sessions: sessionmaker, rasa: RasaClient, rewrite: Rewrite | None = None) -> None:
        self.sessions, self.rasa, self.rewrite = sessions, rasa, rewrite

    def handle(self, inbound: Inbound, timeout: float | None = None) -> list[BotMessage]:
        with self.sessions.begin() as sess:
            if self.rewrite is not None:
                inbound = self.rewrite(sess, inbound)
            conv, said = resident_line(sess, inbound)
            state, conv_id, channel, said_id, said_meta = conv.state, conv.id, conv.channel, said.id, dict(said.meta)
            desk_replies = intake.intercept(sess, conv, said, desk_config.utcnow())
        if desk_replies is not None:
            log.info("message routed to the agent queue", extra={"conversation": conv_id, "state": state})
            return [BotMessage(text=text) for text in desk_replies]
        try:
            turn = self.rasa.exchange(inbound.sender_id, inbound.text, {"channel": inbound.channel, **inbound.metadata}, timeout)
        except RasaUnavailable:
            turn = Turn([BotMessage(text=BOT_BUSY)])
        with self.sessions.begin() as sess:
            if not any(reply.custom for reply in turn.messages) and sess.get_bind().dialect.name == "postgresql":
                sess.execute(text("SET LOCAL synchronous_commit = off"))
            if turn.understanding:  # what the bot made of the message: transcript, analytics, review inbox
                meta = {**said_meta, **recording.transcript_meta(turn.understanding)}
                sess.execute(update(Message).where(Message.id == said_id).values(meta=meta))
                recording.record_turn(sess, conv_id, channel, turn.understanding)
                inbox.consider(sess, said_id, inbound.transcript or inbound.text, inbound.text, turn.understanding)
            shown = self._bot_lines(sess, conv_id, turn.messages)
        return shown

    def record_unanswered(self, inbound: Inbound, told: str, reason: str) -> None:
        """A message neither the bot nor the desk could take (a dependency is down): kept in the
        transcript with what the resident was told, so that nothing they said is lost."""
        with self.sessions.begin() as sess:
            conv, _ = resident_line(sess, inbound, {"unanswered": reason})
            sess.add(Message(conversation_id=conv.id, author="bot", text=told, meta={}))
            conv_id = conv.id
        log.warning("message kept unanswered", extra={"conversation": conv_id, "reason": reason})

    @staticmethod
    def _bot_lines(sess: Session, conv_id: int, messages: list[BotMessage]) -> list[BotMessage]:
        """Apply the side effects the bot asked for; record and return what the resident sees."""
        conv: Conversation | None = None
        shown: list[BotMessage] = []
        rows: list[dict[str, Any]] = []
        for reply in messages:
            if reply.custom:
                conv = conv or sess.get_one(Conversation, conv_id)
                if rows:  # the lines before keep their place ahead of what the side effect writes
                    sess.execute(insert(Message), rows)
                    rows = []
                applied = side_effects.apply(sess, conv, reply.custom)
                reply = replace(reply, text=side_effects.with_notices(reply.text, applied.notices), custom=applied.custom)
            if reply.text or reply.buttons or reply.image or reply.custom:
                rows.append({"conversation_id": conv_id, "author": "bot", "text": reply.text,
                             "meta": {"custom": reply.custom} if reply.custom else {}})
                shown.append(reply)
        if rows:
            sess.execute(insert(Message), rows)
        return shown
