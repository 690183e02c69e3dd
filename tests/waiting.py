"""Waiting in tests for what another process does a moment later (a worker, a record after a reply)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_for(predicate: Callable[[], T], timeout: float = 20.0, what: str | None = None, every: float = 0.1) -> T:
    """``predicate``'s first truthy value within ``timeout`` seconds. When it never comes:
    with ``what``, an AssertionError naming it; without, the last value, for the caller's
    own assertion to show."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    value = predicate()
    if not value and what is not None:
        raise AssertionError(f"timed out waiting for {what}")
    return value
