"""Fixtures for the on-call route: a migrated platform database (SQLite and PostgreSQL), the alert
gateway stand-in answering on a loopback port, a rota, and an after-hours urgent ticket opened the
way the desk opens one. The console and admin tests use the handoff desk's web app fixtures."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

import pytest
from sqlalchemy import delete
from sqlalchemy.orm import Session

from tests.handoff.conftest import app, platform_url, sessions, signed_in, stand_in  # noqa: F401  (fixtures)
from tests.serving import base_url, serve
from tools.alert_gateway_standin import AlertGatewayStandin
from web.conversations.models import Conversation
from web.handoff import queue
from web.handoff.models import Ticket, WorkingHours
from web.oncall.models import OncallShift, OncallWorker

GATEWAY_TOKEN = "oncall-test-token"
ALL_DAYS = "mon,tue,wed,thu,fri,sat,sun,holiday"
# A night in Shanghai: 2026-12-04 (a Friday) 01:30 local is 2026-12-03 17:30 UTC.
NIGHT = datetime(2026, 12, 3, 17, 30)
ACCOUNT = "他又喝醉了打我，我躲在厕所里，身份证310107198001011234，手机13912345678"


@dataclass
class Gateway:
    standin: AlertGatewayStandin
    url: str


@pytest.fixture(scope="session")
def gateway_server() -> Iterator[Gateway]:
    standin = AlertGatewayStandin(GATEWAY_TOKEN)
    server = serve(standin.app)
    yield Gateway(standin, base_url(server))
    server.shutdown()


@pytest.fixture
def gateway(gateway_server) -> Gateway:
    gateway_server.standin.reset()
    return gateway_server


def round_the_clock_rota(sess: Session) -> tuple[OncallWorker, OncallWorker, OncallWorker]:
    """王芳 on call at every hour of every day; 陈静 then 刘建国 on the escalation list."""
    first = OncallWorker(name="王芳", phone="13800000001", role="值班社工")
    first.shifts = [OncallShift(days=ALL_DAYS, starts="00:00", ends="24:00")]
    chief = OncallWorker(name="陈静", phone="13800000005", role="值班科长", escalation_rank=1)
    deputy = OncallWorker(name="刘建国", phone="13800000006", role="分管副局长", escalation_rank=2)
    sess.add_all([first, chief, deputy])
    sess.flush()
    return first, chief, deputy


def desk_closed(sess: Session) -> None:
    """No working hours at all: every ticket is opened after hours, whatever the hour the suite runs."""
    sess.execute(delete(WorkingHours))


def urgent_after_hours(sess: Session, sender: str, now: datetime) -> tuple[Conversation, Ticket]:
    """What the desk does before it calls the on-call route: the conversation joins the queue, urgent."""
    conv = Conversation(sender_id=sender, channel="wechat")
    sess.add(conv)
    sess.flush()
    queue.enqueue(sess, conv, "danger:violence/self", "urgent", now)
    ticket = queue.open_ticket(sess, conv.id)
    assert ticket is not None and ticket.after_hours
    return conv, ticket
