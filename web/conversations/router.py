"""The one routing point every channel calls: record the message, then bot or agent.

A conversation in state ``bot`` goes to Rasa; one that is ``queued`` or with an
``agent`` goes to the handoff queue instead, so the bot never answers over a human,
and so does a message an administrator's handoff rule matches (web/handoff/intake.py).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import select
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


class Router:
    def __init__(self, sessions: sessionmaker, rasa: RasaClient) -> None:
        self.sessions, self.rasa = sessions, rasa

    def handle(self, inbound: Inbound, timeout: float | None = None) -> list[BotMessage]:
        with self.sessions.begin() as sess:
            conv = conversation_for(sess, inbound.channel, inbound.sender_id)
            conv.last_message_at = datetime.now()
            said = Message(conversation_id=conv.id, author="resident", text=inbound.transcript or inbound.text,
                           meta={"sent_to_bot": inbound.text} if inbound.transcript else {})
            sess.add(said)
            sess.flush()
            state, conv_id, said_id = conv.state, conv.id, said.id
            desk_replies = intake.intercept(sess, conv, said, desk_config.utcnow())
        if desk_replies is not None:
            log.info("message routed to the agent queue", extra={"conversation": conv_id, "state": state})
            return [BotMessage(text=text) for text in desk_replies]
        try:
            turn = self.rasa.exchange(inbound.sender_id, inbound.text, {"channel": inbound.channel, **inbound.metadata}, timeout)
        except RasaUnavailable:
            turn = Turn([BotMessage(text=BOT_BUSY)])
        shown: list[BotMessage] = []
        with self.sessions.begin() as sess:
            conv = sess.get(Conversation, conv_id)
            if turn.understanding:  # what the bot made of the message: transcript, analytics, review inbox
                said = sess.get(Message, said_id)
                said.meta = {**said.meta, **recording.transcript_meta(turn.understanding)}
                recording.record_turn(sess, conv, turn.understanding)
                inbox.consider(sess, said, turn.understanding)
            for reply in turn.messages:
                applied = side_effects.apply(sess, conv, reply.custom) if reply.custom else side_effects.Applied({})
                reply = replace(reply, text=side_effects.with_notices(reply.text, applied.notices), custom=applied.custom)
                if reply.text or reply.buttons or reply.image or reply.custom:
                    sess.add(Message(conversation_id=conv_id, author="bot", text=reply.text,
                                     meta={"custom": applied.custom} if applied.custom else {}))
                    shown.append(reply)
        return shown
