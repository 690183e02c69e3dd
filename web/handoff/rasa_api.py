"""The parts of Rasa's HTTP API the desk uses: read the tracker, pause and resume it (resume with retries).

Calls go to the Rasa instance the conversation's messages go to (``ranked_instances``), and to the
next in its ranking when that one refuses the connection (every instance reads the shared tracker store).
Rasa 3.6's HTTP API takes its token only as the ``token`` query parameter (``requires_auth`` in
rasa/server.py; a header is read only for JWTs, with ``--jwt-secret``), so the URL carries it and
no error text raised from here does (``common.masking.mask_credentials``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

import requests

from common.masking import mask_credentials
from web.rasa_client import ranked_instances

log = logging.getLogger(__name__)

RESUME_RETRY_DELAYS = (0.5, 1.5)  # seconds before the second and the third try: a Rasa restarting, a dropped connection
RESUME_TIMEOUT = 3.0  # per try: the resident who asked to leave the queue is waiting for the answer


class RasaApiError(Exception):
    """Rasa's HTTP API did not answer or refused."""


class RasaApi:
    def __init__(self, urls: tuple[str, ...], token: str, timeout: float = 10.0) -> None:
        self.urls, self.token, self.timeout = urls, token, timeout
        self.http = requests.Session()

    def _call(self, method: str, sender_id: str, tail: str, **kwargs: Any) -> Any:
        params = {"token": self.token, **kwargs.pop("params", {})}
        timeout = kwargs.pop("timeout", self.timeout)
        path = f"/conversations/{quote(sender_id, safe=':')}/{tail}"
        for url in ranked_instances(self.urls, sender_id):
            try:
                resp = self.http.request(method, url + path, params=params, timeout=timeout, **kwargs)
                resp.raise_for_status()
                return resp.json()
            except requests.ConnectionError as exc:  # this instance is down: the next one reads the same tracker
                failure: Exception = exc
            except (requests.RequestException, ValueError) as exc:
                failure = exc
                break
        log.warning("rasa api call failed", extra={"call": tail, "error": type(failure).__name__})
        # `requests` writes the URL, `?token=` included, into its errors: never into ours
        raise RasaApiError(f"{tail}: {type(failure).__name__}: {mask_credentials(str(failure))}") from None

    def tracker(self, sender_id: str) -> dict[str, Any]:
        return self._call("GET", sender_id, "tracker", params={"include_events": "ALL"})

    def pause(self, sender_id: str) -> None:
        self._call("POST", sender_id, "tracker/events", json={"event": "pause"})

    def resume(self, sender_id: str, timeout: float | None = None) -> None:
        self._call("POST", sender_id, "tracker/events", json={"event": "resume"}, timeout=timeout or self.timeout)

    def resume_retrying(self, sender_id: str, delays: Sequence[float] = RESUME_RETRY_DELAYS) -> bool:
        """Resume the tracker, trying again after each of ``delays`` while Rasa fails; False when the last try
        failed too (logged as an error). Resuming twice does no harm: the tracker is simply not paused."""
        for delay in (*delays, None):
            try:
                self.resume(sender_id, timeout=RESUME_TIMEOUT)
                return True
            except RasaApiError as exc:
                failure = exc
            if delay is not None:
                time.sleep(delay)
        log.error("could not resume the bot's tracker", extra={"error": str(failure), "tries": len(delays) + 1})
        return False
