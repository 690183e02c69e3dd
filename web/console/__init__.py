"""The hotline agent console at ``/console/`` (docs/handoff.md).

One blueprint, a module per concern: ``auth`` (sign-in, lockout, the guard every
console request passes), ``views`` (queue and conversation), ``stream`` (server-sent
events), ``manage`` (canned replies, rules, working hours), ``supervisor`` (figures and
chart); ``accounts`` is also the command line that creates accounts.
"""
from __future__ import annotations

import threading

import redis
from flask import Flask
from flask_wtf.csrf import CSRFProtect

from common import settings
from common.backoffice_client import BackofficeClient
from common.db import Database
from web.console.blueprint import bp
from web.console.services import STREAMS_PER_PROCESS, ConsoleServices
from web.handoff.events import Publisher
from web.handoff.rasa_api import RasaApi

csrf = CSRFProtect()


def init_app(app: Flask, config: settings.Settings, database: Database, redis_client: redis.Redis) -> None:
    from web.console import auth, manage, stream, supervisor, views  # noqa: F401  (routes register on import)

    app.config.setdefault("SESSION_COOKIE_SAMESITE", "Lax")
    app.config.setdefault("SESSION_COOKIE_HTTPONLY", True)
    # CSRF is checked by the console's own guard (auth.guard), not app-wide: the channels
    # (/wechat, /webhooks/rest/webhook) are posted to by machines, not by a browser session.
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
    csrf.init_app(app)
    auth.login_manager.init_app(app)
    rasa = RasaApi(config.rasa_urls, config.rasa_token)
    Publisher(redis_client, rasa).install(database.sessions)
    app.extensions["console"] = ConsoleServices(
        rasa=rasa, bot=app.extensions["router"].rasa, backoffice=BackofficeClient(config.backoffice_url, config.backoffice_token, retries=1),
        redis=redis_client, stream_slots=threading.BoundedSemaphore(STREAMS_PER_PROCESS))
    app.register_blueprint(bp)
