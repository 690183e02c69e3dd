"""What the console's views use besides the database, built once per process."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import redis
from flask import current_app

from common.backoffice_client import BackofficeClient
from web.documents.storage import Store
from web.handoff.rasa_api import RasaApi
from web.rasa_client import RasaClient

# gunicorn runs 8 threads per worker; a live stream holds one for its lifetime, so at
# most this many streams per process, the other threads stay free for requests.
STREAMS_PER_PROCESS = 4


@dataclass(frozen=True)
class ConsoleServices:
    """Built by web/services.py (``Services.console``)."""

    rasa: RasaApi
    bot: RasaClient  # the platform channel, for the flows a handback starts
    backoffice: BackofficeClient  # the staff pages' client (one retry: ``Services.staff_backoffice``)
    redis: redis.Redis
    documents: Store  # residents' document photos (web/documents), shown to whoever may view their conversation
    stream_slots: threading.BoundedSemaphore = field(
        default_factory=lambda: threading.BoundedSemaphore(STREAMS_PER_PROCESS)
    )


def services() -> ConsoleServices:
    return current_app.extensions["console"]
