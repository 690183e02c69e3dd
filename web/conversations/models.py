from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String, func
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from web.orm import Base, PlainJSON, PlainText


class Conversation(Base):
    """One resident's conversation on one channel; ``state`` says who answers: bot, queued or agent."""

    __tablename__ = "conversation"
    id: Mapped[int] = mapped_column(primary_key=True)
    sender_id: Mapped[str] = mapped_column(String(80), unique=True)
    channel: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(12), default="bot")
    handoff_reason: Mapped[str | None] = mapped_column(String(40), default=None)
    handoff_priority: Mapped[str | None] = mapped_column(String(8), default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())
    last_message_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())
    messages: Mapped[list[Message]] = relationship(back_populates="conversation", order_by="Message.id")


_MADE = "conversations_made"  # ids of the conversations this session's transaction inserted


def mark_made(sess: Session, conv: Conversation) -> None:
    """``conv`` was inserted in this transaction (by a statement, so ``sess.new`` does not show it)."""
    sess.info.setdefault(_MADE, set()).add(conv.id)


def take_made(sess: Session, conv: Conversation) -> bool:
    """Whether ``conv`` was inserted in this transaction and nobody asked before (asked once per
    conversation: the analytics event ``conversation_started`` is recorded once)."""
    made = sess.info.get(_MADE, set())
    if conv.id in made:
        made.discard(conv.id)
        return True
    return False


def typed(sent_to_bot: str) -> bool:
    """A resident's own words, not a payload the server or a button made (``/intent{...}``)."""
    return not sent_to_bot.startswith("/")


class Message(Base):
    """A transcript line. ``author``: resident, bot, agent or system; ``meta`` holds e.g. the parsed intent."""

    __tablename__ = "message"
    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversation.id"), index=True)
    author: Mapped[str] = mapped_column(String(10))
    text: Mapped[str] = mapped_column(PlainText)  # a line can always be written, whatever it holds
    meta: Mapped[dict] = mapped_column(PlainJSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now(), index=True)
    conversation: Mapped[Conversation] = relationship(back_populates="messages")

    @property
    def typed(self) -> bool:
        """A resident line the resident wrote (what the bot was sent is kept in ``meta.sent_to_bot``)."""
        return self.author == "resident" and typed((self.meta or {}).get("sent_to_bot", self.text))
