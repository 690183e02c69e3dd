"""Nothing is lost: referrals reach the real back-office through a real Celery worker (the Procfile's), at once,
after a back-office outage, and when the broker never got the task (the sweep). PostgreSQL, as in production."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from subprocess import Popen

import pytest
import redis
from celery import Celery
from sqlalchemy import select
from sqlalchemy.orm import joinedload, sessionmaker

from backoffice.child_protection.models import ChildProtectionCase, ChildProtectionWorker
from backoffice.residents.models import Household, Resident, WechatBinding
from backoffice.seed.load import DEMO_OPENIDS, seed
from common.db import make_engine
from common.migrate import upgrade
from tests.waiting import wait_for
from tools import stack
from web.conversations.models import Conversation, Message
from web.handoff.child_protection import referral, report_child_at_risk
from web.handoff.child_protection.models import ChildProtectionReferral

pytestmark = pytest.mark.timeout(300)

TOKEN = "child-protection-live-token"
CONSOLE = "http://console.test"
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15").rsplit("/", 1)[0] + "/11"
ACCOUNT = "我是楼下邻居，楼上小孩天天被打，刚才又听到喊救命，孩子才五六岁"


@dataclass
class Stack:
    env: dict[str, str]
    log_dir: Path
    platform: sessionmaker
    backoffice_db: sessionmaker
    broker: Celery
    backoffice: Popen | None = None
    worker: Popen | None = None

    @property
    def backoffice_url(self) -> str:
        return self.env["BACKOFFICE_URL"]

    def start_backoffice(self) -> None:
        self.backoffice = stack.start_process("backoffice", self.env, self.log_dir)
        stack.wait_http(self.backoffice_url + "/readyz", 60, self.backoffice)

    def start_worker(self) -> None:
        self.worker = stack.start_process("worker", self.env, self.log_dir)

    def stop(self) -> None:
        for proc in (self.worker, self.backoffice):
            if proc is not None:
                stack.stop_process(proc)


@pytest.fixture
def live(postgres, tmp_path, monkeypatch) -> Iterator[Stack]:
    """Platform and back-office databases, the back-office's port (nothing started yet) and the worker's broker.
    The desk's transactions queue on this broker (``referral._send`` sends the task by name, as ``delay`` does)."""
    platform_url, backoffice_url = postgres.create("civic_cp_pf"), postgres.create("civic_cp_bo")
    upgrade("platform", platform_url)
    upgrade("backoffice", backoffice_url)
    seed(make_engine(backoffice_url))
    redis.Redis.from_url(REDIS_URL).flushdb()
    port = stack.free_port()
    env = stack.stack_env(
        {
            **os.environ,
            "DATABASE_URL": platform_url,
            "BACKOFFICE_DATABASE_URL": backoffice_url,
            "REDIS_URL": REDIS_URL,
            "BACKOFFICE_TOKEN": TOKEN,
            "PUBLIC_BASE_URL": CONSOLE,
            "WORKER_METRICS_PORT": str(stack.free_port()),
        },
        {"BACKOFFICE_PORT": port, "WEB_PORT": 0, "RASA_PORT": 0, "ACTIONS_PORT": 0},
    )
    broker = Celery("civic", broker=REDIS_URL)
    monkeypatch.setattr(
        referral, "_send", lambda referral_id: broker.send_task("child_protection.deliver", [referral_id])
    )
    live = Stack(
        env,
        tmp_path / "logs",
        sessionmaker(make_engine(platform_url), expire_on_commit=False),
        sessionmaker(make_engine(backoffice_url), expire_on_commit=False),
        broker,
    )
    try:
        yield live
    except Exception:
        stack.print_log_tails(live.log_dir)
        raise
    finally:
        live.stop()
        broker.close()


def the_desk_reports(live: Stack, sender: str, kind: str = "violence") -> tuple[int, str]:
    """What the desk does: the resident's line and the referral, in one transaction; (conversation, referral)."""
    now = datetime(2026, 12, 4, 1, 30)
    with live.platform.begin() as sess:
        conv = Conversation(sender_id=sender, channel="wechat")
        sess.add(conv)
        sess.flush()
        sess.add(Message(conversation_id=conv.id, author="resident", text=ACCOUNT))
        report_child_at_risk(sess, conv, kind, ACCOUNT, now)
    with live.platform() as sess:
        return conv.id, sess.scalar(
            select(ChildProtectionReferral.id).where(ChildProtectionReferral.conversation_id == conv.id)
        )


def row(live: Stack, referral_id: str) -> ChildProtectionReferral:
    with live.platform() as sess:
        return sess.get(ChildProtectionReferral, referral_id)


def sent(live: Stack, referral_id: str, timeout: float, what: str) -> ChildProtectionReferral:
    return wait_for(lambda: (r := row(live, referral_id)).status == "sent" and r, timeout, what)


def case(live: Stack, reference: str) -> ChildProtectionCase:
    with live.backoffice_db() as sess:
        query = select(ChildProtectionCase).options(joinedload(ChildProtectionCase.worker))
        return sess.scalar(query.where(ChildProtectionCase.reference == reference))


def cases(live: Stack) -> int:
    with live.backoffice_db() as sess:
        return len(sess.scalars(select(ChildProtectionCase)).all())


def test_a_verified_residents_report_reaches_their_communitys_worker(live):
    live.start_backoffice()
    live.start_worker()
    conv_id, referral_id = the_desk_reports(live, DEMO_OPENIDS[2], "neglect")
    delivered = sent(live, referral_id, 60, "the referral to be delivered")
    made = case(live, delivered.reference)
    with live.backoffice_db() as sess:
        resident = sess.get(Resident, sess.get(WechatBinding, DEMO_OPENIDS[2]).resident_id)
        community = sess.get(Household, resident.household_id).community_code
        director = sess.scalar(select(ChildProtectionWorker).where(ChildProtectionWorker.community_code == community))
    assert made.worker_id == director.id and made.resident_id == resident.id and made.kind == "neglect"
    assert made.account == ACCOUNT and made.conversation_url == f"{CONSOLE}/console/conversations/{conv_id}"
    assert delivered.assigned_to["role"] == director.role and delivered.assigned_to["name"] == director.name[
        0
    ] + "*" * (len(director.name) - 1)
    assert delivered.attempts == 1 and cases(live) == 1


def test_a_report_made_while_the_back_office_is_down_is_kept_and_delivered_when_it_is_back(live):
    live.start_worker()
    _, referral_id = the_desk_reports(live, "oUnverifiedCP01")
    tried = wait_for(lambda: (r := row(live, referral_id)).attempts >= 1 and r, 60, "an attempt while it is down")
    assert tried.status == "pending" and tried.last_error and tried.reference is None  # kept, shown as 待发送
    live.start_backoffice()
    delivered = sent(live, referral_id, 90, "the referral to be delivered once the back-office is back")
    made = case(live, delivered.reference)
    assert made.community_code is None and made.worker.station == "普陀区未成年人保护工作站"  # unverified: the station
    assert delivered.assigned_to["station"] == "普陀区未成年人保护工作站" and delivered.attempts >= 2
    assert cases(live) == 1


def test_a_report_whose_task_the_broker_never_got_is_sent_by_the_sweep(live, monkeypatch):
    def broker_down(_referral_id: str) -> None:
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(referral, "_send", broker_down)
    _, referral_id = the_desk_reports(live, "oUnverifiedCP02", "abandonment")
    assert row(live, referral_id).status == "pending"
    live.start_backoffice()
    live.start_worker()
    live.broker.send_task("child_protection.sweep", [0])  # what beat sends every minute (stalled after 0 s here)
    delivered = sent(live, referral_id, 60, "the swept referral to be delivered")
    assert case(live, delivered.reference).kind == "abandonment" and cases(live) == 1


def test_beat_sweeps_every_minute():
    from web.worker import celery_app

    schedule = {entry["task"]: entry["schedule"] for entry in celery_app.conf.beat_schedule.values()}
    assert schedule["child_protection.sweep"] == 60.0
    import web.handoff.child_protection.tasks  # noqa: F401

    assert {"child_protection.deliver", "child_protection.sweep"} <= set(celery_app.tasks)
