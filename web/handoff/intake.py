"""Where the router hands a resident's message to the desk instead of the bot.

:func:`decide` only reads (the conversation's state, the message, the rules in memory), so
that a message for the bot costs no write before Rasa answers; :func:`take` records the
desk's part once the message is the desk's. :class:`Desk` is the two as the router's desk
(``Router(desk=...)``), and :func:`queue_for_agent` the ``handoff`` side effect (both given
to the router in web/services.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from common import sensitive
from common.sensitive import Story
from web.conversations.models import Conversation, Message
from web.handoff import config, queue, rules


@dataclass(frozen=True)
class ForDesk:
    """Why a message is the desk's: its conversation is already there (neither field set),
    it tells a sensitive story, or an administrator's rule matched it."""

    story: Story | None = None
    rule: rules.Rule | None = None


def decide(conn: Connection, state: str, text: str) -> ForDesk | None:
    """``None``: the bot answers. ``conn``: where the handoff rules are read when this
    process's copy of them is stale (web/handoff/rules.py)."""
    if state != "bot":
        return ForDesk()
    story = sensitive.recognise(text)
    if story is not None:  # whatever the NLU would make of it: care, the number to call, a person now
        return ForDesk(story=story)
    rule = rules.matching(conn, text)
    return ForDesk(rule=rule) if rule is not None else None


def take(sess: Session, conv: Conversation, message: Message, why: ForDesk, now: datetime) -> list[str]:
    """The desk takes ``message`` (already in the transcript); the texts, recorded too,
    answer the resident at once."""
    if why.story is not None:
        notice = queue.enqueue(sess, conv, "sensitive", "urgent", now)
        text = why.story.reply + "\n\n" + notice
        queue.say(sess, conv, "bot", text, {"sensitive": why.story.category})
        return [text]
    if why.rule is not None:
        notice = queue.enqueue(sess, conv, f"rule:{why.rule.name}", why.rule.priority, now, why.rule.group_id)
        text = config.desk().texts["rule_handoff"] + "\n\n" + notice
        queue.say(sess, conv, "bot", text, {"rule": why.rule.name})
        return [text]
    return queue.resident_message(sess, conv, message, now)


class Desk:
    """The router's way to the desk (web/conversations/router.Desk)."""

    def decide(self, conn: Connection, state: str, text: str) -> ForDesk | None:
        return decide(conn, state, text)

    def take(self, sess: Session, conv: Conversation, message: Message, why: ForDesk) -> list[str]:
        return take(sess, conv, message, why, config.utcnow())


def queue_for_agent(sess: Session, conv: Conversation, request: dict[str, Any]) -> str:
    """The ``handoff`` side effect: the bot asks for a human. The conversation joins the agent
    queue (later messages go there, not to Rasa) and the resident is told their place and rough
    wait, or, outside working hours, to leave a message and a callback number."""
    reason = str(request.get("reason") or "resident_request")
    priority = "urgent" if request.get("priority") == "urgent" else "normal"
    return queue.enqueue(sess, conv, reason, priority, config.utcnow())
