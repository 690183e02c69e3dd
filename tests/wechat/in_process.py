"""The web app in-process (Flask's test client) for tests of /wechat that need no processes: real
Redis (the WeChat channel's db), a fresh SQLite database, the Rasa stand-in as the bot, and no
customer-service delivery (a test that needs it runs the WeChat stack instead)."""

from __future__ import annotations

import dataclasses
import secrets
import time
from typing import Any

from flask.testing import FlaskClient

from common import settings as app_settings
from common.migrate import upgrade
from tools.wechat_standin import wechat_signature
from web.app import create_app

from .conftest import WECHAT_REDIS_URL


def wechat_client(tmp_path_factory, name: str, rasa_url: str, token: str, **settings: Any) -> FlaskClient:
    """A test client of a fresh app whose WeChat token is ``token``; ``settings`` over the defaults here."""
    db_url = f"sqlite:///{tmp_path_factory.mktemp(name) / 'platform.db'}"
    upgrade("platform", db_url)
    config = dataclasses.replace(
        app_settings.load(),
        **{
            "database_url": db_url,
            "redis_url": WECHAT_REDIS_URL,
            "rasa_urls": (rasa_url,),
            "secret_key": name,
            "wechat_token": token,
            "wechat_encoding_aes_key": "",
            "wechat_api_base": "http://127.0.0.1:9",
            "reply_budget_seconds": 2.0,
            "log_level": "CRITICAL",
            **settings,
        },
    )
    app = create_app(config)
    app.extensions["wechat_channel"].outbound.enqueue = lambda task, args: None  # delivery is not under test here
    return app.test_client()


def signed_query(token: str) -> dict[str, str]:
    """/wechat's query string signed with ``token`` now, with a fresh nonce (a used one is refused)."""
    ts, nonce = str(int(time.time())), secrets.token_hex(5)
    return {"signature": wechat_signature(token, ts, nonce), "timestamp": ts, "nonce": nonce}
