"""The handoff queue: priority first, then waiting time; claim, transfer, notes, close.

Every function takes the caller's session and does not commit; the caller's
transaction decides, and :mod:`web.handoff.events` publishes after the commit.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, func, or_, select, true, update
from sqlalchemy.orm import Session

from common.masking import find_phone, mask_phone
from web.conversations.models import Conversation, Message
from web.handoff import config, events
from web.handoff.models import PRIORITY_RANK, Agent, Note, Ticket
from web.oncall import alerting as oncall

ONLINE_WINDOW = timedelta(minutes=10)

Resume = Callable[[str], bool]  # a sender → its Rasa tracker is resumed (False: Rasa could not be reached)


class QueueError(Exception):
    """The operation does not fit the ticket's state (already claimed, closed …); ``message`` is for the agent."""


def open_ticket(sess: Session, conversation_id: int) -> Ticket | None:
    return sess.scalar(
        select(Ticket)
        .where(Ticket.conversation_id == conversation_id, Ticket.status != "closed")
        .order_by(Ticket.id.desc())
        .limit(1)
    )


def latest_ticket(sess: Session, conversation_id: int) -> Ticket | None:
    return sess.scalar(
        select(Ticket).where(Ticket.conversation_id == conversation_id).order_by(Ticket.id.desc()).limit(1)
    )


def announce_ticket(sess: Session, ticket: Ticket, **extra: object) -> None:
    """A queue event for the console once the transaction commits: the ticket changed (no resident data)."""
    events.record(
        sess,
        "queue",
        ticket.conversation_id,
        ticket_id=ticket.id,
        status=ticket.status,
        group_id=ticket.group_id,
        agent_id=ticket.agent_id,
        **extra,
    )


def say(sess: Session, conv: Conversation, author: str, text: str, meta: dict | None = None) -> Message:
    """Add a line to the transcript and announce it to the console (delivering it to the
    resident is :mod:`web.outbound`'s job)."""
    message = Message(conversation_id=conv.id, author=author, text=text, meta=meta or {})
    sess.add(message)
    sess.flush()
    announce_message(sess, conv, message)
    return message


def announce_message(sess: Session, conv: Conversation, message: Message) -> None:
    events.record(
        sess,
        "message",
        conv.id,
        message={"id": message.id, "author": message.author, "text": message.text, "typed": message.typed},
    )


def enqueue(
    sess: Session, conv: Conversation, reason: str, priority: str, now: datetime, group_id: int | None = None
) -> str:
    """Put the conversation in the queue (or raise the priority of its open ticket) and
    return what the resident should be told: place in the queue and rough wait, or,
    outside working hours, to leave a message and a callback number."""
    priority = priority if priority in PRIORITY_RANK else "normal"
    ticket = open_ticket(sess, conv.id)
    new = ticket is None
    if ticket is None:
        ticket = Ticket(
            conversation_id=conv.id,
            reason=reason[:40],
            priority=priority,
            rank=PRIORITY_RANK[priority],
            status="waiting",
            group_id=group_id,
            after_hours=not config.is_open(sess, now),
            queued_at=now,
            sla_due_at=now + timedelta(minutes=config.desk().sla_minutes[priority]),
        )
        sess.add(ticket)
        conv.state = "queued"
    elif PRIORITY_RANK[priority] < ticket.rank:
        ticket.priority, ticket.rank = priority, PRIORITY_RANK[priority]
        ticket.sla_due_at = min(ticket.sla_due_at, now + timedelta(minutes=config.desk().sla_minutes[priority]))
    conv.handoff_reason, conv.handoff_priority = ticket.reason, ticket.priority
    ticket.told_at = now
    sess.flush()
    if new:
        announce_ticket(sess, ticket, pause_sender=conv.sender_id)  # Rasa's tracker is paused once the queueing commits
    else:
        announce_ticket(sess, ticket)
    return resident_notice(sess, ticket, now)


def position(sess: Session, ticket: Ticket) -> int:
    """1 = next in line (priority first, then waiting time)."""
    ahead = sess.scalar(
        select(func.count())
        .select_from(Ticket)
        .where(
            Ticket.status == "waiting",
            Ticket.id != ticket.id,
            or_(
                Ticket.rank < ticket.rank,
                and_(
                    Ticket.rank == ticket.rank,
                    or_(
                        Ticket.queued_at < ticket.queued_at,
                        and_(Ticket.queued_at == ticket.queued_at, Ticket.id < ticket.id),
                    ),
                ),
            ),
        )
    )
    return int(ahead or 0) + 1


def agents_online(sess: Session, now: datetime) -> int:
    return int(
        sess.scalar(
            select(func.count())
            .select_from(Agent)
            .where(Agent.active == true(), Agent.last_seen_at >= now - ONLINE_WINDOW)
        )
        or 0
    )


def resident_notice(sess: Session, ticket: Ticket, now: datetime) -> str:
    texts = config.desk().texts
    if ticket.after_hours and ticket.priority == "urgent":  # in danger, nobody on call: no "不等了" (web/oncall)
        return texts["after_hours_urgent"]
    if ticket.after_hours:
        return texts["after_hours"].format(hours=config.describe_hours(sess))
    place = position(sess, ticket)
    if place == 1:
        return texts["next_in_line"]
    minutes = math.ceil(place * config.desk().minutes_per_resident / max(1, agents_online(sess, now)))
    return texts["waiting"].format(ahead=place - 1, minutes=minutes)


def resident_message(
    sess: Session, conv: Conversation, message: Message, now: datetime, resume: Resume | None = None
) -> list[str]:
    """A resident wrote while queued or with an agent: show it to the desk; outside
    working hours, note a callback number; still waiting a while after they were last told
    their place, tell them again that they are heard and where they stand (an elderly
    resident who types "在吗" and hears nothing may think they were forgotten). ``resume``:
    how the bot's tracker is resumed for a resident who leaves the queue (none: nobody can
    leave, the words go to the agent). Returns what to answer the resident now."""
    ticket = open_ticket(sess, conv.id)
    announce_message(sess, conv, message)
    if ticket is None:  # queued by something that bypassed the desk: queue it properly
        text = enqueue(sess, conv, conv.handoff_reason or "resident_request", conv.handoff_priority or "normal", now)
        say(sess, conv, "system", text)
        return [text]
    if resume is not None and wants_to_leave(ticket, message.text):
        return [leave(sess, conv, ticket, now, resume)]
    phone = find_phone(message.text)  # 138 1234 5678, spoken digits, +86: as the bot understands them
    on_call = oncall.promised(sess, ticket.id) if ticket.after_hours else None  # a person in danger: never "上班后"
    if ticket.after_hours and ticket.callback_phone is None and phone:
        ticket.callback_phone = phone
        announce_ticket(sess, ticket)
        noted = "callback_noted_oncall" if on_call else "callback_noted"
        text = config.desk().texts[noted].format(phone=mask_phone(ticket.callback_phone))
        say(sess, conv, "system", text)
        return [text]
    if _reminder_due(ticket, now):
        ticket.told_at = now  # a burst of lines gets one reminder, not one each
        notice = on_call or resident_notice(sess, ticket, now)  # after hours: how to leave a number, again
        text = notice if ticket.after_hours else config.desk().texts["still_waiting"] + notice
        say(sess, conv, "system", text)
        return [text]
    return []


RESIDENT_LEFT = "resident_left"  # the outcome of a ticket the resident left (desk.yml outcomes)
LEAVE_MAX_CHARS = 12  # "不等了" with a few words around it; a longer message is something to tell the agent


def wants_to_leave(ticket: Ticket, text: str) -> bool:
    """A resident still waiting (no agent yet) says they will not wait (desk.yml ``leave_words``).
    Never an urgent case: a person in danger stays with the desk and the on-call worker."""
    if ticket.status != "waiting" or ticket.priority == "urgent" or len(text) > LEAVE_MAX_CHARS:
        return False
    return any(word in text for word in config.desk().leave_words)


def leave(sess: Session, conv: Conversation, ticket: Ticket, now: datetime, resume: Resume) -> str:
    """Give the conversation back to the bot and close the ticket as ``resident_left``; what to tell the
    resident. Rasa's tracker is resumed first (with retries, web/handoff/rasa_api.py), before anything
    changes: a conversation the bot has again while its tracker stays paused would get no answer at all.
    When Rasa cannot be reached the resident stays in the queue, in the same place, and is told so."""
    if not resume(conv.sender_id):
        ticket.told_at = now  # told where they stand just now: no reminder on their next line
        text = config.desk().texts["leave_failed"] + "\n\n" + resident_notice(sess, ticket, now)
        say(sess, conv, "system", text, {"leave_failed": True})
        return text
    ticket.status, ticket.outcome, ticket.closed_at = "closed", RESIDENT_LEFT, now
    conv.state = "bot"
    announce_ticket(sess, ticket)
    text = config.desk().texts["left_queue"]
    say(sess, conv, "system", text)
    return text


def _reminder_due(ticket: Ticket, now: datetime) -> bool:
    if ticket.status != "waiting" or (ticket.after_hours and ticket.callback_phone):  # with an agent, or number noted
        return False
    return ticket.told_at is None or now - ticket.told_at >= timedelta(minutes=config.desk().remind_after_minutes)


# -- what an agent may see ------------------------------------------------------------


def visible(agent: Agent) -> ColumnElement[bool]:
    """Tickets this agent may see: supervisors and admins all; an agent their own, and the
    waiting tickets of their group plus those routed to no group."""
    if agent.sees_everything:
        return true()
    group_ok = (
        Ticket.group_id.is_(None)
        if agent.group_id is None
        else or_(Ticket.group_id.is_(None), Ticket.group_id == agent.group_id)
    )
    return or_(Ticket.agent_id == agent.id, and_(Ticket.status == "waiting", group_ok))


def can_view(sess: Session, agent: Agent, conversation_id: int) -> bool:
    if agent.sees_everything:
        return sess.get(Conversation, conversation_id) is not None
    found = sess.scalar(select(Ticket.id).where(Ticket.conversation_id == conversation_id, visible(agent)).limit(1))
    return found is not None


def waiting(sess: Session, agent: Agent) -> list[Ticket]:
    return list(
        sess.scalars(
            select(Ticket)
            .where(Ticket.status == "waiting", visible(agent))
            .order_by(Ticket.rank, Ticket.queued_at, Ticket.id)
        )
    )


def active(sess: Session, agent: Agent) -> list[Ticket]:
    mine = true() if agent.sees_everything else Ticket.agent_id == agent.id
    return list(sess.scalars(select(Ticket).where(Ticket.status == "active", mine).order_by(Ticket.claimed_at)))


# -- what an agent does ---------------------------------------------------------------


def claim(sess: Session, ticket: Ticket, agent: Agent, now: datetime) -> None:
    """Take a waiting ticket; two agents clicking at once: exactly one wins."""
    won = sess.execute(
        update(Ticket)
        .where(Ticket.id == ticket.id, Ticket.status == "waiting")
        .values(status="active", agent_id=agent.id, claimed_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not won:
        raise QueueError("这位居民已经有同事接手了")
    sess.refresh(ticket)
    conv = sess.get(Conversation, ticket.conversation_id)
    conv.state = "agent"
    announce_ticket(sess, ticket)


def require_handler(ticket: Ticket, agent: Agent) -> None:
    if ticket.status != "active":
        raise QueueError("请先接手这个会话")
    if ticket.agent_id != agent.id and not agent.sees_everything:
        raise QueueError("这个会话由其他同事处理中")


def transfer(
    sess: Session,
    ticket: Ticket,
    actor: Agent,
    now: datetime,
    to_agent: Agent | None = None,
    to_group_id: int | None = None,
) -> None:
    """To an agent: it is theirs at once. To a group: back in the queue for that group."""
    if not ticket.open:
        raise QueueError("这个会话已经结束了")
    if ticket.status == "active":
        require_handler(ticket, actor)
    conv = sess.get(Conversation, ticket.conversation_id)
    if to_agent is not None:
        ticket.status, ticket.agent_id = "active", to_agent.id
        ticket.claimed_at = ticket.claimed_at or now
        conv.state = "agent"
    elif to_group_id is not None:
        ticket.status, ticket.agent_id, ticket.group_id = "waiting", None, to_group_id
        conv.state = "queued"
    else:
        raise QueueError("请选择要转给的同事或小组")
    announce_ticket(sess, ticket)


def add_note(sess: Session, ticket: Ticket, agent: Agent, text: str) -> Note:
    note = Note(ticket_id=ticket.id, agent_id=agent.id, text=text)
    sess.add(note)
    sess.flush()
    announce_ticket(sess, ticket, note=True)
    return note


def close(sess: Session, ticket: Ticket, actor: Agent, outcome: str, now: datetime) -> Conversation:
    """End the handoff with an outcome code; the conversation is the bot's again."""
    if outcome not in config.desk().outcomes or outcome == RESIDENT_LEFT:  # that one is the resident's, not an agent's
        raise QueueError("请选择结束原因")
    if not ticket.open:
        raise QueueError("这个会话已经结束了")
    if ticket.status == "active":
        require_handler(ticket, actor)
    elif not actor.sees_everything:
        raise QueueError("请先接手这个会话")
    ticket.status, ticket.outcome, ticket.closed_at, ticket.closed_by_id = "closed", outcome, now, actor.id
    conv = sess.get(Conversation, ticket.conversation_id)
    conv.state = "bot"  # handoff_reason/priority stay: the conversation's last handoff (feedback skips urgent ones)
    announce_ticket(sess, ticket)
    return conv


def sla_breached(ticket: Ticket, now: datetime) -> bool:
    answered = ticket.claimed_at or (ticket.closed_at if ticket.status == "closed" else None)
    return (answered or now) > ticket.sla_due_at
