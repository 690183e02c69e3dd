"""What the console's views use besides the database, built once per process."""
from __future__ import annotations

import threading
from dataclasses import dataclass

import redis
from flask import current_app

from common.backoffice_client import BackofficeClient
from web.handoff.rasa_api import RasaApi
from web.rasa_client import RasaClient

# gunicorn runs 8 threads per worker; a live stream holds one for its lifetime, so at
# most this many streams per process, the other threads stay free for requests.
STREAMS_PER_PROCESS = 4


@dataclass(frozen=True)
class ConsoleServices:
    rasa: RasaApi
    bot: RasaClient  # the platform channel, for the flows a handback starts
    backoffice: BackofficeClient
    redis: redis.Redis
    stream_slots: threading.BoundedSemaphore


def services() -> ConsoleServices:
    return current_app.extensions["console"]
