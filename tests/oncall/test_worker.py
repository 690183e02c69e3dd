"""The on-call route end to end through a real Celery worker (the Procfile's), the alert gateway
stand-in over HTTP, PostgreSQL and Redis: an urgent case after hours reaches the person on call
within a minute, also when the gateway fails once, and the next person on the escalation list
when the first one's number keeps failing; the console hears of it on its Redis channel."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
from celery import Celery
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from common.db import make_engine
from common.migrate import upgrade
from tests.oncall.conftest import ACCOUNT, GATEWAY_TOKEN, desk_closed, round_the_clock_rota, urgent_after_hours
from tests.serving import base_url, serve
from tests.waiting import wait_for
from tools import stack
from tools.alert_gateway_standin import AlertGatewayStandin
from web import oncall
from web.handoff.events import CONSOLE_CHANNEL
from web.oncall.models import OncallAlert
from web.outbound.models import OutboundMessage
from web.workdays import utcnow

pytestmark = pytest.mark.timeout(300)

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15").rsplit("/", 1)[0] + "/10"
CONSOLE = "https://hotline.example.gov.cn"
A_MINUTE = 60.0


@dataclass
class Live:
    sessions: sessionmaker  # the desk's: alerts written on them are queued after the commit, as in web
    standin: AlertGatewayStandin
    log_dir: Path


@pytest.fixture(scope="module")
def live(postgres, tmp_path_factory) -> Iterator[Live]:
    platform_url = postgres.create("civic_oncall")
    upgrade("platform", platform_url)
    sessions = sessionmaker(make_engine(platform_url), expire_on_commit=False)
    with sessions.begin() as sess:
        desk_closed(sess)
        round_the_clock_rota(sess)
    redis.Redis.from_url(REDIS_URL).flushdb()
    standin = AlertGatewayStandin(GATEWAY_TOKEN)
    server = serve(standin.app)
    env = stack.stack_env(
        {
            **os.environ,
            "DATABASE_URL": platform_url,
            "REDIS_URL": REDIS_URL,
            "ALERT_GATEWAY_URL": base_url(server),
            "ALERT_GATEWAY_TOKEN": GATEWAY_TOKEN,
            "PUBLIC_BASE_URL": CONSOLE,
            "WORKER_METRICS_PORT": str(stack.free_port()),
        },
        {"WEB_PORT": 0, "RASA_PORT": 0, "ACTIONS_PORT": 0, "BACKOFFICE_PORT": 0},
    )
    log_dir = tmp_path_factory.mktemp("oncall") / "logs"
    broker = Celery("civic", broker=REDIS_URL)
    oncall.AlertQueue(lambda task, args: broker.send_task(task, args=args)).install(sessions)  # as create_app does
    worker = stack.start_process("worker", env, log_dir)
    try:
        wait_for(lambda: "ready." in _log(log_dir), 60, "the Celery worker to start")
        yield Live(sessions, standin, log_dir)
    except Exception:
        stack.print_log_tails(log_dir)
        raise
    finally:
        stack.stop_process(worker)
        broker.close()
        server.shutdown()


def _log(log_dir: Path) -> str:
    log = log_dir / "worker.log"
    return log.read_text(errors="replace") if log.exists() else ""


def the_desk_raises_an_alert(live: Live, sender: str) -> tuple[int, float]:
    """What the desk does for an urgent case after hours; (alert id, when its transaction committed)."""
    now = utcnow()
    with live.sessions.begin() as sess:
        conv, ticket = urgent_after_hours(sess, sender, now)
        told = oncall.alert(sess, conv, ticket, "violence", ACCOUNT, now)
    assert told is not None and "王老师" in told
    with live.sessions() as sess:
        return sess.scalar(select(OncallAlert.id).where(OncallAlert.conversation_id == conv.id)), time.monotonic()


def reached(live: Live, phone: str, committed: float) -> float:
    """Seconds from the desk's commit to the stand-in's receipt of an alert to ``phone``."""
    wait_for(lambda: live.standin.received(phone), A_MINUTE, f"an alert to {phone} within a minute")
    return time.monotonic() - committed


def the_alert(live: Live, alert_id: int) -> OncallAlert:
    with live.sessions() as sess:
        return sess.get(OncallAlert, alert_id)


def test_an_after_hours_urgent_case_reaches_the_person_on_call_within_a_minute(live):
    live.standin.reset()
    alert_id, committed = the_desk_raises_an_alert(live, "oOncallLive1")
    assert reached(live, "13800000001", committed) < A_MINUTE
    [sent] = live.standin.received()
    assert (
        sent["text"].startswith("【民政热线紧急值班】暴力伤害：")
        and f"{CONSOLE}/console/conversations/" in sent["text"]
    )
    assert "310107198001011234" not in sent["text"] and "13912345678" not in sent["text"]
    alert = wait_for(lambda: (a := the_alert(live, alert_id)).status == "sent" and a, 10, "the alert marked sent")
    assert (alert.step, alert.attempts, alert.gateway_id) == (0, 1, sent["id"])


def test_the_gateway_failing_once_is_tried_again_and_still_reaches_them_within_a_minute(live):
    live.standin.reset()
    live.standin.fail_next(1, 5000)
    alert_id, committed = the_desk_raises_an_alert(live, "oOncallLive2")
    assert reached(live, "13800000001", committed) < A_MINUTE
    refused = [c for c in live.standin.calls if c["code"]]
    assert [c["code"] for c in refused] == [5000]
    alert = wait_for(lambda: (a := the_alert(live, alert_id)).status == "sent" and a, 10, "the alert marked sent")
    assert (alert.step, alert.attempts, alert.last_error) == (0, 2, "5000 internal error")


def test_a_number_that_keeps_failing_escalates_to_the_next_person_and_the_console_hears_of_it(live):
    live.standin.reset()
    live.standin.fail_number("13800000001", 5000)  # the first person's number: an internal error, every time
    console = redis.Redis.from_url(REDIS_URL).pubsub(ignore_subscribe_messages=True)
    console.subscribe(CONSOLE_CHANNEL)
    alert_id, committed = the_desk_raises_an_alert(live, "oOncallLive3")
    assert reached(live, "13800000005", committed) < A_MINUTE  # 陈静, first on the escalation list
    assert [c["code"] for c in live.standin.calls if c["to"] == "13800000001"] == [5000, 5000, 5000]
    alert = wait_for(lambda: (a := the_alert(live, alert_id)).status == "sent" and a, 10, "the alert marked sent")
    assert (alert.step, alert.attempts) == (1, 4)
    events: list[dict] = []
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not (events and events[-1]["oncall"].startswith("通知失败，已转给")):
        message = console.get_message(timeout=1)
        if message:
            events.append(json.loads(message["data"]))
    console.close()
    assert [(e["type"], e["conversation_id"], e["oncall"], e["oncall_tone"]) for e in events] == [
        ("queue", alert.conversation_id, "通知 王* 失败，正在转给 陈*", "warn"),
        ("queue", alert.conversation_id, events[-1]["oncall"], "warn"),
    ]
    assert events[-1]["oncall"].startswith("通知失败，已转给 陈* ")


def test_a_danger_ticket_still_waiting_when_the_desk_closed_reaches_the_person_on_call_from_beats_check(live):
    """The closing check as beat runs it (``handoff.closing``, web/handoff/closing.py), in the worker:
    its alert is queued once its transaction commits, and the resident hears who will call."""
    live.standin.reset()
    with live.sessions.begin() as sess:  # opened while the desk was open; nobody took it; the desk is closed now
        conv, ticket = urgent_after_hours(sess, "web:closingLive", utcnow())
        ticket.after_hours = False
    broker = Celery("civic", broker=REDIS_URL)
    try:
        broker.send_task("handoff.closing")
        committed = time.monotonic()
    finally:
        broker.close()
    assert reached(live, "13800000001", committed) < A_MINUTE
    with live.sessions() as sess:
        [alert] = sess.scalars(select(OncallAlert).where(OncallAlert.conversation_id == conv.id)).all()
        [told] = sess.scalars(select(OutboundMessage).where(OutboundMessage.recipient == "web:closingLive")).all()
    assert alert.kind == "violence" and "值班的王老师" in told.body["text"]
