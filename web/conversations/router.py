"""The one routing point every channel calls: bot or agent, then the message in the transcript.

A conversation in state ``bot`` goes to Rasa; one that is ``queued`` or with an
``agent`` goes to the desk instead, so the bot never answers over a human, and so does
a message an administrator's handoff rule matches. The router knows the desk, the bot's
side effects and whoever learns from what the bot understood (analytics, the review
inbox) only as the hooks it is built with (web/services.py): conversations is the floor
the features stand on and imports none of them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any, Protocol

from sqlalchemy import insert, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, sessionmaker

from common.masking import mask_text
from common.plain_text import is_name, plain
from web.conversations.models import Conversation, Message, mark_made
from web.conversations.side_effects import SideEffects
from web.rasa_client import BotMessage, BotTurn, RasaClient, RasaUnavailable

log = logging.getLogger(__name__)

BOT_BUSY = "不好意思，系统现在有点忙，您的话我们已经记下了。请稍等一两分钟再发一次，或者拨打民政服务热线 12345。"


class BadSender(ValueError):
    """A sender id that cannot name a conversation (control characters): its channel refuses it."""


@dataclass(frozen=True)
class Inbound:
    """A message for the routing point. Its text is made plain here, once for every channel, before
    anything runs (common/plain_text.py); a sender with a control character is refused (:class:`BadSender`),
    never changed, since it names whose conversation this is."""

    channel: str  # "wechat" or "web"
    sender_id: str
    text: str
    metadata: dict[str, Any] = field(default_factory=dict)
    transcript: str | None = None  # what the transcript shows when ``text`` is a trigger (a location, a menu tap)

    def __post_init__(self) -> None:
        if not is_name(self.sender_id):
            raise BadSender("a sender id with control characters")
        object.__setattr__(self, "text", plain(self.text))
        if self.transcript is not None:
            object.__setattr__(self, "transcript", plain(self.transcript))


_INSERT = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def conversation(sess: Session, sender_id: str, channel: str) -> Conversation:
    """The sender's conversation, made if it is the first message. Two first messages at once
    (a double tap, a widget's retry) both find the one conversation: the row is inserted with
    ``ON CONFLICT DO NOTHING`` on its unique ``sender_id``, so the second insert waits for the
    first transaction and then does nothing, and the read after it sees the row either way."""
    found = select(Conversation).where(Conversation.sender_id == sender_id)
    conv = sess.scalar(found)
    if conv is None:
        insert_into = _INSERT[sess.get_bind().dialect.name](Conversation)
        made = sess.scalar(
            insert_into.values(sender_id=sender_id, channel=channel, state="bot")
            .on_conflict_do_nothing(index_elements=["sender_id"])
            .returning(Conversation.id)
        )
        conv = sess.scalars(found).one()
        if made is not None:  # this transaction's insert, not the other first message's
            mark_made(sess, conv)
    return conv


def resident_line(sess: Session, inbound: Inbound, meta: dict[str, Any] | None = None) -> tuple[Conversation, Message]:
    """The resident's message in the transcript (what they wrote; what the bot was sent, if
    that differs, in ``meta.sent_to_bot``), flushed so it has its id."""
    now = datetime.now()
    conv = conversation(sess, inbound.sender_id, inbound.channel)
    conv.last_message_at = now
    sess.flush()
    said = Message(
        conversation_id=conv.id,
        author="resident",
        text=inbound.transcript or inbound.text,
        meta={**(meta or {}), **({"sent_to_bot": inbound.text} if inbound.transcript else {})},
    )
    sess.add(said)
    sess.flush()
    return conv, said


Note = Callable[[Session], None]
"""Something a rewrite found that is written with the resident's line (e.g. a reply to a push)."""


@dataclass(frozen=True)
class Handled:
    """A rewrite's own answer (e.g. a staff member's test-send binding code): the message reaches neither
    the bot nor the desk; ``reply`` answers it, recorded with the sender's line and ``note`` first."""

    reply: str
    note: Note | None = None


Rewrite = Callable[[Connection, Inbound], "tuple[Inbound, Note | None] | Handled"]
Understood = Callable[[Session, Conversation, Message, Inbound, dict[str, Any]], None]
"""Learns, in the turn's transaction, from what the bot understood of the resident's line
(``Message``) as the bot was sent it (``Inbound``): analytics, the review inbox."""


class Desk(Protocol):
    """Where messages the bot must not answer go (web/handoff/intake.Desk)."""

    def decide(self, conn: Connection, sender_id: str, state: str, text: str) -> Any | None:
        """Why the desk takes this message (the conversation's ``state``, its ``text``), or
        ``None``: the bot answers. Only reads, on the router's autocommit connection."""

    def take(self, sess: Session, conv: Conversation, message: Message, why: Any) -> list[str]:
        """The desk takes ``message`` (already in the transcript); the texts that answer the
        resident at once, recorded too."""


def transcript_meta(understanding: dict[str, Any]) -> dict[str, Any]:
    """What the transcript keeps of the bot's understanding of a resident message (for the
    agent console and the review inbox); entity values masked like everything shown back."""
    return {
        "intent": understanding.get("intent"),
        "confidence": understanding.get("confidence"),
        "fallback": bool(understanding.get("fallback")),
        "entities": [
            {"entity": e.get("entity"), "value": mask_text(str(e.get("value")))}
            for e in understanding.get("entities") or []
        ],
        "active_loop": understanding.get("active_loop"),
    }


def _visible(reply: BotMessage) -> bool:
    return bool(reply.text or reply.buttons or reply.image)


@dataclass(frozen=True)
class Answer:
    """What the resident sees now, and the transcript lines still to write (``record``): a
    channel that must answer quickly (WeChat's passive reply) sends ``replies`` first and
    records after; ``Router.handle`` does both in turn."""

    replies: list[BotMessage]
    record: Callable[[], Any] = lambda: None


class Router:
    """A read and a short transaction per message, none held while Rasa thinks. The read
    (``rewrite``, e.g. a reply to a campaign push, then the conversation's state and the
    handoff rules) decides bot or desk, on a connection in autocommit mode: no transaction
    to begin and end for a message that only reads. A message for the desk is then recorded
    in one transaction with the desk's part; one for the bot, in one transaction with what
    the bot understood, the bot's lines and their side effects.

    A turn without side effects (most of them) is answered before its transaction
    (:meth:`answer`): its rows can be rebuilt from Rasa's tracker, so the resident does not
    wait for them, and on PostgreSQL they are an asynchronous commit (``synchronous_commit =
    off``), which a database crash in the next fraction of a second may lose but never
    corrupts. A turn with side effects (a handoff, an application) is recorded, with a normal
    commit, before anyone sees its answer, since the answer carries what they did (the place
    in the queue). docs/architecture.md, "The routing point", says what this costs and saves."""

    def __init__(
        self,
        sessions: sessionmaker,
        rasa: RasaClient,
        rewrite: Rewrite | None = None,
        desk: Desk | None = None,
        side_effects: SideEffects | None = None,
        understood: tuple[Understood, ...] = (),
    ) -> None:
        """``desk``: none, the bot answers every message; ``side_effects``: none, a bot message's
        custom payload goes to the resident whole; ``understood``: called in this order."""
        self.sessions, self.rasa, self.rewrite, self.desk = sessions, rasa, rewrite, desk
        self.side_effects, self.understood = side_effects or SideEffects({}), understood
        with sessions() as sess:  # get_bind does not connect
            self.reads = sess.get_bind().execution_options(isolation_level="AUTOCOMMIT")

    def handle(self, inbound: Inbound, timeout: float | None = None) -> list[BotMessage]:
        """Route, answer and record: the transcript is complete when this returns."""
        answer = self.answer(inbound, timeout)
        answer.record()
        return answer.replies

    def answer(self, inbound: Inbound, timeout: float | None = None) -> Answer:
        note: Note | None = None
        handled: Handled | None = None
        with self.reads.connect() as conn:
            if self.rewrite is not None:
                rewritten = self.rewrite(conn, inbound)
                if isinstance(rewritten, Handled):
                    handled = rewritten
                else:
                    inbound, note = rewritten
            why = None
            if self.desk is not None and handled is None:
                state = (
                    conn.scalar(select(Conversation.state).where(Conversation.sender_id == inbound.sender_id)) or "bot"
                )
                why = self.desk.decide(conn, inbound.sender_id, state, inbound.transcript or inbound.text)
        if handled is not None:  # recorded before it is answered: the note may be what the reply confirms
            with self.sessions.begin() as sess:
                conv, _said = resident_line(sess, inbound)
                if handled.note is not None:
                    handled.note(sess)
                return Answer(self._bot_lines(sess, conv, [BotMessage(text=handled.reply)]))
        if why is not None:
            with self.sessions.begin() as sess:
                conv, said = resident_line(sess, inbound)
                if note is not None:
                    note(sess)
                desk_replies = self.desk.take(sess, conv, said, why)
                log.info("message routed to the agent queue", extra={"conversation": conv.id, "state": state})
            return Answer([BotMessage(text=text) for text in desk_replies])
        try:
            turn = self.rasa.exchange(
                inbound.sender_id, inbound.text, {"channel": inbound.channel, **inbound.metadata}, timeout
            )
        except RasaUnavailable:
            turn = BotTurn([BotMessage(text=BOT_BUSY)])
        if any(reply.custom for reply in turn.messages):
            return Answer(self._record(inbound, turn, note, durable=True))
        return Answer(
            [reply for reply in turn.messages if _visible(reply)], partial(self._record, inbound, turn, note, False)
        )

    def _record(self, inbound: Inbound, turn: BotTurn, note: Note | None, durable: bool) -> list[BotMessage]:
        """The transaction after the bot's turn: the resident's line and what the bot understood
        of it (and the rewrite's note), the bot's side effects and its lines; ``durable`` (side
        effects ran): a normal commit."""
        with self.sessions.begin() as sess:
            if not durable and sess.get_bind().dialect.name == "postgresql":
                sess.execute(text("SET LOCAL synchronous_commit = off"))
            meta = transcript_meta(turn.understanding) if turn.understanding else {}
            conv, said = resident_line(sess, inbound, meta)
            if note is not None:
                note(sess)
            if turn.understanding:  # analytics and the review inbox
                for learn in self.understood:
                    learn(sess, conv, said, inbound, turn.understanding)
            return self._bot_lines(sess, conv, turn.messages)

    def carry_on(
        self, sess: Session, conv: Conversation, preface: str, message: str, unreachable: str
    ) -> list[BotMessage]:
        """The platform, not the resident, moves the conversation on: ``preface`` is said, then, while
        the bot has the conversation, the bot is sent ``message`` (intent syntax) for this resident.
        Its replies go through their side effects and into the transcript in the caller's
        transaction (no resident line: the resident said nothing); returns what the resident sees.
        A bot that cannot be reached: ``unreachable`` is said instead."""
        lines = [BotMessage(text=preface)]
        if message and conv.state == "bot":
            try:
                lines += self.rasa.exchange(conv.sender_id, message, {"channel": conv.channel}).messages
            except RasaUnavailable:
                log.warning("the bot could not carry on", extra={"conversation": conv.id})
                lines = [BotMessage(text=unreachable)]
        return self._bot_lines(sess, conv, lines)

    def record_unanswered(self, inbound: Inbound, told: str, reason: str) -> None:
        """A message neither the bot nor the desk could take (a dependency is down): kept in the
        transcript with what the resident was told, so that nothing they said is lost."""
        with self.sessions.begin() as sess:
            conv, _ = resident_line(sess, inbound, {"unanswered": reason})
            sess.add(Message(conversation_id=conv.id, author="bot", text=told, meta={}))
            conv_id = conv.id
        log.warning("message kept unanswered", extra={"conversation": conv_id, "reason": reason})

    def _bot_lines(self, sess: Session, conv: Conversation, messages: list[BotMessage]) -> list[BotMessage]:
        """Apply the side effects the bot asked for; record and return what the resident sees."""
        shown: list[BotMessage] = []
        rows: list[dict[str, Any]] = []
        for reply in messages:
            if reply.custom:
                if rows:  # the lines before keep their place ahead of what the side effect writes
                    sess.execute(insert(Message), rows)
                    rows = []
                reply = self.side_effects.applied_to(sess, conv, reply)
            if _visible(reply) or reply.custom:
                rows.append(
                    {
                        "conversation_id": conv.id,
                        "author": "bot",
                        "text": reply.text,
                        "meta": {"custom": reply.custom} if reply.custom else {},
                    }
                )
                shown.append(reply)
        if rows:
            sess.execute(insert(Message), rows)
        return shown
