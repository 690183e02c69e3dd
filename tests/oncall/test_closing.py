"""The desk closes on a resident in danger (web/handoff/closing.py): a danger ticket opened in
working hours and still waiting when the desk closes is sent to the on-call worker once, and the
resident is told once, through the outbound path, who will call and when. A ticket an agent took,
or a ticket that is not about danger, is left alone. Real PostgreSQL (and SQLite), real Redis, the
alert gateway stand-in for the delivery. The migration's working hours: Mon-Fri 09:00-17:00."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from common import danger as dangers
from tests.oncall.conftest import GATEWAY_TOKEN, round_the_clock_rota
from web import oncall
from web.console import accounts
from web.conversations.models import Conversation, Message
from web.handoff import closing, config, intake, queue
from web.handoff.models import Ticket
from web.oncall.delivery import Delivery
from web.oncall.gateway import AlertGateway
from web.oncall.models import OncallAlert
from web.outbound import Outbound
from web.outbound.models import OutboundMessage

# Thursday 2026-12-03 in Shanghai: 16:55 is 08:55 UTC, 17:01 is 09:01 UTC.
BEFORE_CLOSING = datetime(2026, 12, 3, 8, 55)
AT_CLOSING = datetime(2026, 12, 3, 8, 59)
AFTER_CLOSING = datetime(2026, 12, 3, 9, 1)
DANGER = "他喝醉了又要打我 我躲在厕所里"
CONSOLE = "https://hotline.example.gov.cn"


@pytest.fixture
def queued(sessions) -> list[tuple[str, list]]:
    """The Celery tasks queued (on-call deliveries, outbound sends), with the alert queue installed on
    the sessions as the worker installs it (web/worker.py)."""
    sent: list[tuple[str, list]] = []
    oncall.AlertQueue(lambda task, args: sent.append((task, args))).install(sessions)
    return sent


@pytest.fixture
def outbound(sessions, redis_client, queued) -> Outbound:
    return Outbound(sessions, redis_client, lambda task, args: queued.append((task, args)))


def reported(sessions, sender: str, text: str = DANGER, at: datetime = BEFORE_CLOSING) -> tuple[int, str]:
    """A resident's message read by the desk in working hours; (ticket id, what they were told)."""
    with sessions.begin() as sess:
        conv = Conversation(sender_id=sender, channel="wechat", state="bot")
        sess.add(conv)
        sess.flush()
        message = Message(conversation_id=conv.id, author="resident", text=text)
        sess.add(message)
        sess.flush()
        [told] = intake.take(sess, conv, message, intake.ForDesk(danger=dangers.assess(text)), at)
        ticket = queue.open_ticket(sess, conv.id)
        assert ticket.after_hours is False and ticket.reason.startswith("danger:")
        return ticket.id, told


def count(sessions, model) -> int:
    with sessions() as sess:
        return sess.scalar(select(func.count()).select_from(model))


def test_a_danger_ticket_still_waiting_when_the_desk_closes_reaches_the_on_call_worker_once(
    sessions, outbound, queued, gateway
):
    with sessions.begin() as sess:
        round_the_clock_rota(sess)
        assert config.is_open(sess, BEFORE_CLOSING) and not config.is_open(sess, AFTER_CLOSING)
    ticket_id, told = reported(sessions, "oClosing1")
    assert "值班" not in told and count(sessions, OncallAlert) == 0  # in working hours: the desk's queue

    assert closing.carry_over(sessions, outbound, AT_CLOSING) == 0  # the desk is still open
    assert closing.carry_over(sessions, outbound, AFTER_CLOSING) == 1
    assert closing.carry_over(sessions, outbound, AFTER_CLOSING + timedelta(minutes=1)) == 0  # once only

    with sessions() as sess:
        [alert] = sess.scalars(select(OncallAlert)).all()
        ticket = sess.get(Ticket, ticket_id)
        [message] = sess.scalars(select(OutboundMessage)).all()
        system = sess.scalars(
            select(Message.text).where(Message.conversation_id == ticket.conversation_id, Message.author == "system")
        ).all()
    promise = "现在是下班时间，我已经马上通知了值班的王老师，15 分钟内给您打电话"
    assert (alert.ticket_id, alert.kind, alert.created_at) == (ticket_id, "violence", AFTER_CLOSING)
    assert alert.summary == DANGER
    assert (message.recipient, message.reason, message.ref) == ("oClosing1", "desk_closed", f"handoff:{ticket_id}")
    assert message.body["content"].startswith(promise) and "上班后" not in message.body["content"]
    assert system == [message.body["content"]]  # in the transcript, for the agent
    assert ticket.after_hours and ticket.status == "waiting" and ticket.told_at == AFTER_CLOSING
    assert queued == [("oncall.deliver", [alert.id]), ("wechat.send_texts", [[message.id], None])]

    delivered = Delivery(sessions, AlertGateway(gateway.url, GATEWAY_TOKEN), CONSOLE, clock=lambda: AFTER_CLOSING)
    assert delivered.attempt(alert.id) is None
    [sent] = gateway.standin.received()
    assert sent["to"] == "13800000001" and sent["text"].startswith(f"【民政热线紧急值班】暴力伤害：{DANGER}")

    with sessions.begin() as sess:  # the resident leaves a number: noted for the on-call worker, never "上班后"
        ticket = sess.get(Ticket, ticket_id)
        conv = sess.get(Conversation, ticket.conversation_id)
        line = Message(conversation_id=conv.id, author="resident", text="我电话13912345678")
        sess.add(line)
        sess.flush()
        [noted] = queue.resident_message(sess, conv, line, AFTER_CLOSING + timedelta(minutes=2))
    assert "139****5678" in noted and "值班的工作人员" in noted and "上班后" not in noted


def test_a_ticket_an_agent_took_before_closing_alerts_nobody(sessions, outbound, queued):
    with sessions.begin() as sess:
        round_the_clock_rota(sess)
        agent = accounts.create(sess, "closing_agent", "correct horse battery", "agent", "张丽")
    ticket_id, _ = reported(sessions, "oClosing2")
    with sessions.begin() as sess:
        queue.claim(sess, sess.get(Ticket, ticket_id), sess.merge(agent), AT_CLOSING)
    assert closing.carry_over(sessions, outbound, AFTER_CLOSING) == 0
    assert count(sessions, OncallAlert) == 0 and count(sessions, OutboundMessage) == 0 and queued == []


def test_a_waiting_ticket_that_is_not_about_danger_alerts_nobody(sessions, outbound, queued):
    with sessions.begin() as sess:
        round_the_clock_rota(sess)
        for sender, reason, priority in (
            ("oClosing3", "backoffice_down", "urgent"),
            ("oClosing4", "complaint", "normal"),
        ):
            conv = Conversation(sender_id=sender, channel="wechat", state="bot")
            sess.add(conv)
            sess.flush()
            queue.enqueue(sess, conv, reason, priority, BEFORE_CLOSING)
    assert closing.carry_over(sessions, outbound, AFTER_CLOSING) == 0
    assert count(sessions, OncallAlert) == 0 and count(sessions, OutboundMessage) == 0 and queued == []


def test_when_nobody_is_on_call_yet_the_next_run_alerts_once_someone_is(sessions, outbound, queued, caplog):
    ticket_id, _ = reported(sessions, "web:closing5")  # the web chat: its mailbox, no WeChat task
    assert closing.carry_over(sessions, outbound, AFTER_CLOSING) == 0
    assert "nobody on call" in caplog.text
    with sessions() as sess:
        assert sess.get(Ticket, ticket_id).after_hours is False  # left as it was, for the next run
    assert count(sessions, OncallAlert) == 0 and count(sessions, OutboundMessage) == 0

    with sessions.begin() as sess:
        round_the_clock_rota(sess)
    assert closing.carry_over(sessions, outbound, AFTER_CLOSING + timedelta(minutes=1)) == 1
    with sessions() as sess:
        [message] = sess.scalars(select(OutboundMessage)).all()
    assert (message.channel, message.status) == ("web", "delivered")
    assert "值班的王老师" in message.body["text"]
    assert [task for task, _ in queued] == ["oncall.deliver"]


def test_the_check_runs_every_minute_on_celery_beat():
    from web.worker import celery_app

    every = {entry["task"]: entry["schedule"] for entry in celery_app.conf.beat_schedule.values()}
    assert every["handoff.closing"] == 60.0
    assert "handoff.closing" in celery_app.tasks
