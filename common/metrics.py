"""Prometheus metrics every Flask process exposes at ``GET /metrics``.

Request counts and latencies are recorded for every route; calls to Rasa and the
back-office record their latency and errors through :func:`observe_call`; pushes
through :data:`PUSHES`. A process adds scrape-time gauges (queue lengths) by passing
collectors to :func:`init_app`.

Gunicorn runs two workers per process: with ``PROMETHEUS_MULTIPROC_DIR`` set (the
repository's ``gunicorn.conf.py`` gives each gunicorn master a fresh directory) every
scrape aggregates all workers; without it a scrape sees the answering worker only.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable

from flask import Flask, Response, g, request
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.registry import Collector

REQUESTS = Counter("http_requests_total", "HTTP requests answered", ["service", "method", "endpoint", "status"])
LATENCY = Histogram(
    "http_request_duration_seconds",
    "HTTP request latency",
    ["service", "method", "endpoint"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15),
)
CALLS = Histogram(
    "dependency_call_duration_seconds",
    "Latency of calls to Rasa and the back-office",
    ["dependency", "operation", "outcome"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15),
)
CALL_ERRORS = Counter(
    "dependency_call_errors_total", "Failed calls to Rasa and the back-office", ["dependency", "operation"]
)
PUSHES = Counter("outbound_pushes_total", "Messages pushed to residents (kf / template)", ["kind", "outcome"])
UNRECORDED = Counter(
    "transcript_unrecorded_turns_total",
    "Bot turns answered whose transcript lines could not be written afterwards",
    ["channel"],
)


def observe_call(dependency: str, operation: str, seconds: float, ok: bool) -> None:
    CALLS.labels(dependency, operation, "ok" if ok else "error").observe(seconds)
    if not ok:
        CALL_ERRORS.labels(dependency, operation).inc()


class _ProcessLocal(Collector):
    """This process's own metrics (used when not in multiprocess mode)."""

    def collect(self):
        return REGISTRY.collect()


def scrape(collectors: Iterable[Collector] = ()) -> bytes:
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_ProcessLocal())
    for collector in collectors:
        registry.register(collector)
    return generate_latest(registry)


def init_app(app: Flask, service: str, collectors: Iterable[Collector] = ()) -> None:
    """Time every request and serve ``GET /metrics``."""
    collectors = tuple(collectors)

    @app.before_request
    def _start_timer() -> None:
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _record(response: Response) -> Response:
        started = g.pop("metrics_started", None)
        if started is not None:
            endpoint = request.url_rule.rule if request.url_rule else "unmatched"
            LATENCY.labels(service, request.method, endpoint).observe(time.perf_counter() - started)
            REQUESTS.labels(service, request.method, endpoint, str(response.status_code)).inc()
        return response

    def metrics_view() -> Response:
        return Response(scrape(collectors), mimetype=CONTENT_TYPE_LATEST)

    app.add_url_rule("/metrics", "metrics", metrics_view, methods=["GET"])
