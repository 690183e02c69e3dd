"""The web process's scrape-time gauges: Celery queue lengths, the handoff queue and the on-call rota's gaps."""

from __future__ import annotations

import logging
from datetime import datetime

import redis
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from common import metrics
from web.conversations.models import Conversation
from web.handoff.config import opening
from web.oncall import coverage
from web.workdays import utcnow

log = logging.getLogger(__name__)
CELERY_QUEUES = ("celery",)  # Celery's default queue on the Redis broker is a list of this name


class QueueCollector(Collector):
    def __init__(self, sessions: sessionmaker, broker: redis.Redis) -> None:
        self.sessions, self.broker = sessions, broker

    def collect(self):
        queue = GaugeMetricFamily("celery_queue_length", "Tasks waiting in a Celery queue", labels=["queue"])
        try:
            for name in CELERY_QUEUES:
                queue.add_metric([name], self.broker.llen(name))
            yield queue
        except redis.RedisError as exc:
            log.warning("queue length unavailable", extra={"error": type(exc).__name__})
        try:
            with self.sessions() as sess:
                waiting, oldest = sess.execute(
                    select(func.count(), func.min(Conversation.last_message_at)).where(Conversation.state == "queued")
                ).one()
                uncovered = sum(gap.minutes for gap in coverage.gaps(sess, utcnow(), opening(sess)))
        except Exception as exc:  # the database being down must not break the scrape of everything else
            log.warning("handoff queue unavailable", extra={"error": type(exc).__name__})
            return
        yield GaugeMetricFamily("handoff_queue_length", "Conversations waiting for an agent", value=waiting)
        age = (datetime.now() - oldest).total_seconds() if oldest else 0.0
        yield GaugeMetricFamily(
            "handoff_queue_oldest_seconds", "Since the longest-waiting resident's last message", value=age
        )
        yield GaugeMetricFamily(
            "oncall_uncovered_minutes",
            "Minutes of the coming week when the desk is closed and nobody is on call",
            value=uncovered,
        )


def init_app(app, sessions: sessionmaker, broker: redis.Redis) -> None:
    metrics.init_app(app, "web", [QueueCollector(sessions, broker)])
