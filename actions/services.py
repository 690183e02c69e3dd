"""The action server's shared clients, built once per process from the settings.

Within one action run (:func:`action_run`, entered by the executor) :func:`backoffice` answers
through a :class:`RunCache`: the same read is sent to the back-office once per run, however many
of the action's steps need it. Writes are never cached, and a write forgets the run's reads.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from typing import Any, Protocol

from common import settings
from common.backoffice_client import BackofficeClient, BackofficeError

# POSTs that only read (they are POSTs to keep ID numbers out of URLs and access logs).
READ_POSTS = frozenset({"/marriage/divorce-window", "/marriage/legal-age", "/assistance/precheck"})


class Backoffice(Protocol):
    def get(self, path: str, **params: Any) -> dict[str, Any]: ...

    def post(self, path: str, body: dict[str, Any], idempotency_key: str | None = None) -> dict[str, Any]: ...


@lru_cache(maxsize=1)
def client() -> BackofficeClient:
    config = settings.load()
    return BackofficeClient(config.backoffice_url, config.backoffice_token)


class RunCache:
    """A back-office client for one action run: reads memoised (answers and refusals), writes passed on."""

    def __init__(self, upstream: Callable[[], Backoffice]) -> None:
        self._upstream = upstream
        self._answers: dict[str, dict[str, Any] | BackofficeError] = {}

    def _memo(self, key: str, call: Callable[[Backoffice], dict[str, Any]]) -> dict[str, Any]:
        if key not in self._answers:
            try:
                self._answers[key] = call(self._upstream())
            except BackofficeError as exc:
                self._answers[key] = exc
        answer = self._answers[key]
        if isinstance(answer, BackofficeError):
            raise answer
        return answer

    def get(self, path: str, **params: Any) -> dict[str, Any]:
        key = "GET " + path + "?" + json.dumps(params, sort_keys=True, ensure_ascii=False, default=str)
        return self._memo(key, lambda upstream: upstream.get(path, **params))

    def post(self, path: str, body: dict[str, Any], idempotency_key: str | None = None) -> dict[str, Any]:
        if path in READ_POSTS and idempotency_key is None:
            key = "POST " + path + " " + json.dumps(body, sort_keys=True, ensure_ascii=False, default=str)
            return self._memo(key, lambda upstream: upstream.post(path, body))
        self._answers.clear()  # what the run read before a write may have changed
        return self._upstream().post(path, body, idempotency_key=idempotency_key)


_run: ContextVar[RunCache | None] = ContextVar("backoffice_run_cache", default=None)


@contextmanager
def action_run() -> Iterator[None]:
    """The scope of one action run: its back-office reads are shared by all its steps."""
    token = _run.set(RunCache(client))
    try:
        yield
    finally:
        _run.reset(token)


def backoffice() -> Backoffice:
    """The back-office client: inside an action run, that run's :class:`RunCache`."""
    return _run.get() or client()
