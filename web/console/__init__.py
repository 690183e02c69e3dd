"""The hotline agent console at ``/console/`` (docs/handoff.md).

One blueprint, a module per concern: ``auth`` (sign-in, lockout; every console request
passes the staff pages' one guard, ``web/admin/guard.py``), ``views`` (queue and
conversation), ``stream`` (server-sent events), ``manage`` (canned replies, rules, working
hours: pages in the admin navigation), ``supervisor`` (figures and chart); ``accounts`` is
also the command line that creates accounts.
"""
from __future__ import annotations

import threading

import redis
from flask import Flask

from common import settings
from common.backoffice_client import BackofficeClient
from common.db import Database
from web.admin import guard
from web.console.blueprint import bp
from web.console.services import STREAMS_PER_PROCESS, ConsoleServices
from web.handoff.events import Publisher
from web.handoff.rasa_api import RasaApi


def init_app(app: Flask, config: settings.Settings, database: Database, redis_client: redis.Redis) -> None:
    from web.console import auth, manage, stream, supervisor, views  # noqa: F401  (routes register on import)

    app.config.setdefault("SESSION_COOKIE_SAMESITE", "Lax")
    app.config.setdefault("SESSION_COOKIE_HTTPONLY", True)
    guard.init_app(app)  # CSRF tokens, checked by the staff pages' guard (web/admin/guard.py), not app-wide
    auth.login_manager.init_app(app)
    rasa = RasaApi(config.rasa_urls, config.rasa_token)
    Publisher(redis_client, rasa).install(database.sessions)
    app.extensions["console"] = ConsoleServices(
        rasa=rasa, bot=app.extensions["router"].rasa, backoffice=BackofficeClient(config.backoffice_url, config.backoffice_token, retries=1),
        redis=redis_client, stream_slots=threading.BoundedSemaphore(STREAMS_PER_PROCESS))
    app.register_blueprint(bp)
