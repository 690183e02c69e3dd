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

from sqlalchemy import select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from common import danger as dangers
from common.danger import Danger
from web.conversations.models import Conversation, Message
from web.handoff import config, queue, rules
from web.handoff.child_protection import report_child_at_risk
from web.oncall import alerting as oncall


@dataclass(frozen=True)
class ForDesk:
    """Why a message is the desk's: its conversation is already there (neither field set),
    someone is in danger, or an administrator's rule matched it."""

    danger: Danger | None = None
    rule: rules.Rule | None = None


def _previous(conn: Connection, sender_id: str) -> str | None:
    """The resident's message before this one, when the bot answered it (the context a short
    message is read in); None after a handoff, so a "谢谢" after an agent is not read with it."""
    last = conn.execute(
        select(Message.author, Message.text)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(Conversation.sender_id == sender_id)
        .order_by(Message.id.desc())
        .limit(2)
    ).all()
    if len(last) == 2 and last[0].author == "bot" and last[1].author == "resident":
        return last[1].text
    return None


def decide(conn: Connection, sender_id: str, state: str, text: str) -> ForDesk | None:
    """``None``: the bot answers. ``conn``: where the conversation's previous message and the
    handoff rules (when this process's copy is stale, web/handoff/rules.py) are read."""
    if state != "bot":
        return ForDesk()
    found = dangers.assess(text, lambda: _previous(conn, sender_id))
    if found is not None:  # whatever the NLU would make of it: safety first, a person now
        return ForDesk(danger=found)
    rule = rules.matching(conn, text)
    return ForDesk(rule=rule) if rule is not None else None


def take(
    sess: Session, conv: Conversation, message: Message, why: ForDesk, now: datetime, resume: queue.Resume | None = None
) -> list[str]:
    """The desk takes ``message`` (already in the transcript); the texts, recorded too,
    answer the resident at once. ``resume``: how a resident leaving the queue gets the bot back."""
    if why.danger is not None:
        found = why.danger
        notice = queue.enqueue(sess, conv, found.reason, "urgent", now)
        ticket = queue.open_ticket(sess, conv.id)
        promised = oncall.alert(sess, conv, ticket, found.kind, message.text, now)  # after hours: never "tomorrow"
        if found.child_at_risk:  # a case for the community's 未成年人保护 worker, with what the resident said
            report_child_at_risk(sess, conv, found.kind, message.text, now)
        text = found.reply + "\n\n" + (promised or notice)
        queue.say(sess, conv, "bot", text, {"danger": {"kind": found.kind, "who": found.who, "score": found.score}})
        return [text]
    if why.rule is not None:
        notice = queue.enqueue(sess, conv, f"rule:{why.rule.name}", why.rule.priority, now, why.rule.group_id)
        text = config.desk().texts["rule_handoff"] + "\n\n" + notice
        queue.say(sess, conv, "bot", text, {"rule": why.rule.name})
        return [text]
    return queue.resident_message(sess, conv, message, now, resume)


class Desk:
    """The router's way to the desk (web/conversations/router.Desk). ``resume``: Rasa's tracker resumed for a
    resident who leaves the queue (``RasaApi.resume_retrying``); without it nobody can leave the queue."""

    def __init__(self, resume: queue.Resume | None = None) -> None:
        self.resume = resume

    def decide(self, conn: Connection, sender_id: str, state: str, text: str) -> ForDesk | None:
        return decide(conn, sender_id, state, text)

    def take(self, sess: Session, conv: Conversation, message: Message, why: ForDesk) -> list[str]:
        return take(sess, conv, message, why, config.utcnow(), self.resume)


def queue_for_agent(sess: Session, conv: Conversation, request: dict[str, Any]) -> str:
    """The ``handoff`` side effect: the bot asks for a human. The conversation joins the agent
    queue (later messages go there, not to Rasa) and the resident is told their place and rough
    wait, or, outside working hours, to leave a message and a callback number."""
    reason = str(request.get("reason") or "resident_request")
    priority = "urgent" if request.get("priority") == "urgent" else "normal"
    return queue.enqueue(sess, conv, reason, priority, config.utcnow())
