"""The back-office API client: timeouts, retries with backoff, typed errors.

Reads and calls carrying an ``Idempotency-Key`` are retried; other writes are not,
so a retry can never create a second appointment or application.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from common import metrics

log = logging.getLogger(__name__)

TIMEOUT = (2.0, 5.0)  # connect, read (seconds)


class BackofficeUnavailable(Exception):
    """The back-office could not be reached or failed (5xx) after retries."""


class BackofficeError(Exception):
    """The back-office refused the request (4xx); ``message`` is Chinese text a resident can read."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message


class BackofficeClient:
    def __init__(self, base_url: str, token: str, retries: int = 3, backoff: float = 0.3) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"
        retry = Retry(
            total=retries,
            connect=retries,
            read=retries,
            status=retries,
            backoff_factor=backoff,
            status_forcelist=(502, 503, 504),
            allowed_methods=frozenset({"GET", "HEAD", "PUT", "DELETE"}),
            raise_on_status=False,
        )
        self.session.mount("http://", HTTPAdapter(max_retries=retry))
        self.session.mount("https://", HTTPAdapter(max_retries=retry))
        self._idempotent_post = requests.Session()
        self._idempotent_post.headers.update(self.session.headers)
        post_retry = retry.new(allowed_methods=frozenset({"POST"}))
        self._idempotent_post.mount("http://", HTTPAdapter(max_retries=post_retry))
        self._idempotent_post.mount("https://", HTTPAdapter(max_retries=post_retry))

    def get(self, path: str, **params: Any) -> dict[str, Any]:
        return self._call(self.session, "GET", path, params=params)

    def post(
        self,
        path: str,
        body: dict[str, Any],
        idempotency_key: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        if idempotency_key:
            return self._call(
                self._idempotent_post,
                "POST",
                path,
                json=body,
                headers={**(headers or {}), "Idempotency-Key": idempotency_key},
            )
        return self._call(self.session, "POST", path, json=body, headers=headers or {})

    def patch(self, path: str, body: dict[str, Any], headers: dict[str, str] | None = None) -> dict[str, Any]:
        return self._call(self.session, "PATCH", path, json=body, headers=headers or {})

    def put(self, path: str, body: dict[str, Any], headers: dict[str, str] | None = None) -> dict[str, Any]:
        return self._call(self.session, "PUT", path, json=body, headers=headers or {})

    def delete(self, path: str) -> dict[str, Any]:
        return self._call(self.session, "DELETE", path)

    def _call(self, session: requests.Session, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        started = time.perf_counter()
        operation = method + " /" + path.strip("/").split("/")[0]  # bounded label: the resource, not the id
        try:
            resp = session.request(method, self.base_url + path, timeout=TIMEOUT, **kwargs)
        except requests.RequestException as exc:
            metrics.observe_call("backoffice", operation, time.perf_counter() - started, ok=False)
            log.warning("back-office unreachable", extra={"path": path, "error": type(exc).__name__})
            raise BackofficeUnavailable(str(exc)) from exc
        metrics.observe_call("backoffice", operation, time.perf_counter() - started, ok=resp.status_code < 500)
        if resp.status_code >= 500:
            log.warning("back-office error", extra={"path": path, "status": resp.status_code})
            raise BackofficeUnavailable(f"{resp.status_code} from {path}")
        body = resp.json() if resp.content else {}
        if resp.status_code >= 400:
            raise BackofficeError(resp.status_code, body.get("error", "error"), body.get("message", "请求没有成功"))
        return body
