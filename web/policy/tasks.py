"""Celery tasks of the campaigns (the app is ``web.worker``).

``policy.prepare`` computes the audience and fans out ``policy.send_batch`` tasks, one per
range of delivery ids. A batch that meets quiet hours or an unstarted campaign stops and
books one ``policy.wake`` for the campaign (a Redis ``SET NX`` keeps it to one), which
re-enqueues every range with pending rows — as ``resume`` does. Rows that wait longer than
``MAX_SLEEP`` (the next day, once WeChat's daily quota is used) are waited for by that one
wake-up, booked again every 30 minutes until they are due, not by every range. Every task may run twice
(acks late: a dead worker's task is redelivered); the delivery claims make that harmless.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import redis
from sqlalchemy import Engine, select
from sqlalchemy.orm import sessionmaker

from web.policy import campaigns, registry, schedule, standards, tester
from web.policy.delivery import STALE_CLAIM, CampaignSender
from web.policy.models import PolicyCampaign
from web.worker import celery_app, services

MAX_SLEEP = 1800  # a wake-up is never booked further ahead than this (below Redis's visibility timeout)


def _deps() -> tuple[sessionmaker, Engine, redis.Redis, CampaignSender]:
    s = services()
    return s.database.sessions, s.registry, s.redis, s.campaign_sender


def _standards(registry_engine: Engine) -> standards.Standards:
    with registry_engine.connect() as conn:
        districts = list(registry.load_region(conn).district_names)
    return standards.load(services().backoffice, districts)


@celery_app.task(name="policy.prepare", acks_late=True)
def prepare(campaign_id: int) -> dict[str, int]:
    sessions, registry_engine, _client, _sender = _deps()
    counts = campaigns.prepare(sessions, registry_engine, _standards(registry_engine), campaign_id)
    fan_out(campaign_id)
    return counts


def fan_out(campaign_id: int) -> int:
    """One send task per range of pending deliveries (and any dead worker's stale claims settled)."""
    sessions = _deps()[0]
    campaigns.mark_stale_claims(sessions, campaign_id, schedule.now_local() - timedelta(seconds=STALE_CLAIM))
    n = 0
    for first, last in campaigns.ranges(sessions, campaign_id):
        send_batch.delay(campaign_id, first, last)
        n += 1
    if n == 0:
        campaigns.maybe_complete(sessions, campaign_id)
    return n


@celery_app.task(name="policy.send_batch", acks_late=True)
def send_batch(campaign_id: int, first_id: int, last_id: int) -> int:
    sessions, _engine, client, sender = _deps()
    result = sender.run_batch(campaign_id, first_id, last_id)
    if result.wake_at is not None:
        book_wake(client, campaign_id, result.wake_at)
    elif result.again_in is not None and result.again_in > MAX_SLEEP:  # e.g. waiting for tomorrow's quota
        book_wake(client, campaign_id, schedule.now_local() + timedelta(seconds=result.again_in))
    elif result.again_in is not None:
        send_batch.apply_async((campaign_id, first_id, last_id), countdown=result.again_in)
    elif not result.stopped:
        campaigns.maybe_complete(sessions, campaign_id)
    return result.sent


def book_wake(client: redis.Redis, campaign_id: int, at: datetime) -> bool:
    delay = max(1.0, min((at - schedule.now_local()).total_seconds(), MAX_SLEEP))
    if not client.set(f"policy:wake:{campaign_id}", "1", nx=True, ex=max(1, int(delay))):
        return False
    wake.apply_async((campaign_id,), countdown=delay)
    return True


@celery_app.task(name="policy.wake", acks_late=True)
def wake(campaign_id: int) -> int:
    """Quiet hours are over (or the start time came, or a new day's quota): send what is pending —
    or, when nothing pending is due yet, book the next wake-up."""
    sessions, _engine, client, _sender = _deps()
    due = campaigns.next_due(sessions, campaign_id)
    if due is not None and due > schedule.now_local() + timedelta(seconds=1) and _running(sessions, campaign_id):
        book_wake(client, campaign_id, due)  # a paused campaign's chain ends here; resume wakes it
        return 0
    return fan_out(campaign_id)


@celery_app.task(name="policy.recur", acks_late=True)
def recur() -> list[int]:
    """Monthly campaigns whose next run has come (the beat asks every 10 minutes): their audiences again,
    so residents who newly match are told; nobody is told twice (``campaigns.prepare``)."""
    sessions = _deps()[0]
    taken = campaigns.due_runs(sessions)
    for campaign_id in taken:
        prepare.delay(campaign_id)
    return taken


@celery_app.task(name="policy.test_send")
def test_send(campaign_id: int, openid: str, name: str) -> int | None:
    """A campaign's notice to a staff member's own WeChat (web/policy/tester.py); never retried."""
    sessions, _engine, _client, sender = _deps()
    return tester.send(sessions, sender.api, campaign_id, openid, name)


def _running(sessions: sessionmaker, campaign_id: int) -> bool:
    with sessions() as sess:
        return sess.scalar(select(PolicyCampaign.state).where(PolicyCampaign.id == campaign_id)) == "running"
