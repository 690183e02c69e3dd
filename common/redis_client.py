"""The one way the Flask processes and the worker connect to Redis: with timeouts, so that a
Redis that hangs (a network partition, a stuck server) costs a request two seconds and a
clear error, never WeChat's whole 5-second budget or a thread for good."""

from __future__ import annotations

import redis

CONNECT_TIMEOUT = 2.0  # seconds
COMMAND_TIMEOUT = 2.0  # every command we send takes well under a millisecond


def connect(url: str) -> redis.Redis:
    return redis.Redis.from_url(
        url, socket_connect_timeout=CONNECT_TIMEOUT, socket_timeout=COMMAND_TIMEOUT, health_check_interval=30
    )
