"""The action server's shared clients, built once per process from the settings."""
from __future__ import annotations

from functools import lru_cache

from common.backoffice_client import BackofficeClient
from common import settings


@lru_cache(maxsize=1)
def backoffice() -> BackofficeClient:
    config = settings.load()
    return BackofficeClient(config.backoffice_url, config.backoffice_token)
