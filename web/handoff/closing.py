"""When the desk closes on a resident in danger: the on-call worker is alerted all the same.

The desk alerts the on-call worker when it opens an urgent danger ticket after hours
(web/handoff/intake.py). A danger ticket opened in working hours that nobody has taken by the
time the desk closes (reported at 16:55, still waiting at 17:01) would otherwise wait for the
morning. :func:`carry_over` runs on Celery beat every minute (``handoff.closing``, web/worker.py):
while the desk is closed, each such ticket becomes an after-hours one (the resident may leave a
callback number, the console marks it 下班留言), the on-call worker is alerted through
``web.oncall.alert`` as for any after-hours case, and the resident is sent the same promise (who
will call, within how many minutes) through :mod:`web.outbound`.

Once only: the ticket is claimed by an atomic ``UPDATE … WHERE after_hours = false``, in the
transaction that raises the alert and writes the message, so two runs (or two workers at once)
alert once and tell the resident once. When nobody is on call yet, nothing is changed: the next
run tries again (a shift may start at 17:30), and a warning is logged meanwhile.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from web.conversations.models import Conversation, Message
from web.handoff import config, queue
from web.handoff.models import Ticket
from web.oncall import alerting as oncall
from web.outbound import Outbound
from web.outbound.service import Recorded
from web.rasa_client import BotMessage

log = logging.getLogger(__name__)

DANGER = "danger:"  # the reason prefix of a danger ticket: danger:<kind>/<who>
LOOK_BACK = 20  # transcript lines read back for what the resident said


def carry_over(sessions: sessionmaker, outbound: Outbound, now: datetime) -> int:
    """Alert the on-call worker for every danger ticket still waiting while the desk is closed at
    ``now`` (naive UTC) and tell its resident who will call; returns how many were alerted.

    ``sessions`` must queue alerts and publish the desk's events after a commit, as in the web
    process (``web.oncall.AlertQueue`` and ``web.handoff.events.Publisher`` installed on them).
    """
    with sessions() as sess:
        if config.is_open(sess, now):
            return 0
        waiting = sess.scalars(
            select(Ticket.id)
            .where(Ticket.status == "waiting", Ticket.after_hours.is_(False), Ticket.reason.startswith(DANGER))
            .order_by(Ticket.queued_at, Ticket.id)
        ).all()
    alerted = 0
    for ticket_id in waiting:  # one transaction each: one ticket's trouble does not hold up the others
        with sessions.begin() as sess:
            recorded = _carry_over(sess, outbound, ticket_id, now)
        if recorded is not None:
            outbound.dispatch(recorded)  # a worker dying here leaves the row queued: the outbound sweep sends it
            alerted += 1
    return alerted


def _carry_over(sess: Session, outbound: Outbound, ticket_id: int, now: datetime) -> Recorded | None:
    claimed = sess.execute(
        update(Ticket)
        .where(Ticket.id == ticket_id, Ticket.status == "waiting", Ticket.after_hours.is_(False))
        .values(after_hours=True)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not claimed:  # taken by an agent meanwhile, or carried over by another run
        return None
    ticket = sess.get(Ticket, ticket_id)
    sess.refresh(ticket)
    conv = sess.get(Conversation, ticket.conversation_id)
    promised = oncall.alert(sess, conv, ticket, kind_of(ticket.reason), what_they_said(sess, conv.id), now)
    if promised is None:  # nobody on call at this moment: leave the ticket as it was, try at the next run
        ticket.after_hours = False
        log.warning("danger ticket waiting after closing, nobody on call", extra={"ticket": ticket_id})
        return None
    ticket.told_at = now
    queue.announce_ticket(sess, ticket)  # the console's queue row: 下班留言, the on-call line
    queue.say(sess, conv, "system", promised)
    log.info("danger ticket carried past closing: on-call alerted", extra={"ticket": ticket_id})
    return outbound.record(sess, conv.sender_id, [BotMessage(text=promised)], "desk_closed", ref=f"handoff:{ticket_id}")


def kind_of(reason: str) -> str:
    """``danger:violence/self`` → ``violence``."""
    return reason.removeprefix(DANGER).split("/", 1)[0]


def what_they_said(sess: Session, conversation_id: int) -> str:
    """The resident's message the desk read as danger and what they wrote after it, in order
    (masked by the alert before it is stored or sent)."""
    lines = sess.execute(
        select(Message.author, Message.text, Message.meta)
        .where(Message.conversation_id == conversation_id)
        .order_by(Message.id.desc())
        .limit(LOOK_BACK)
    ).all()
    said: list[str] = []
    replied = False  # passed the desk's danger reply: the next resident line back is the one it answered
    for author, text, meta in lines:
        if author == "resident":
            said.append(text.strip())
            if replied:
                break
        elif author == "bot" and "danger" in (meta or {}):
            replied = True
    return "；".join(line for line in reversed(said) if line)
