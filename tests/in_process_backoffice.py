"""The BackofficeClient interface over the back-office's Flask test client, for the actions' tests
(each suite's back-office has its own token, so the client is given its headers)."""

from __future__ import annotations

from typing import Any

from common.backoffice_client import BackofficeError


class InProcessBackoffice:
    def __init__(self, client, auth: dict[str, str]) -> None:
        self.client = client
        self.auth = auth

    def _reply(self, resp) -> dict[str, Any]:
        if resp.status_code >= 400:
            raise BackofficeError(resp.status_code, resp.json["error"], resp.json["message"])
        return resp.json

    def get(self, path: str, **params: Any) -> dict[str, Any]:
        return self._reply(self.client.get(path, query_string=params, headers=self.auth))

    def post(self, path: str, body: dict, idempotency_key: str | None = None) -> dict[str, Any]:
        headers = {**self.auth, **({"Idempotency-Key": idempotency_key} if idempotency_key else {})}
        return self._reply(self.client.post(path, json=body, headers=headers))
