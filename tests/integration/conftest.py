"""The platform web app in-process (Flask's test client) as production runs it where it matters
here: real PostgreSQL, real Redis, the real back-office (served from a thread, on the seeded demo
region) as its back-office and identity provider; Rasa is a small stand-in that echoes (the
subject is the web layer, so hundreds of requests stay quick)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from flask import Flask
from sqlalchemy.orm import sessionmaker

from common import settings
from common.migrate import upgrade
from tests.serving import served
from tests.wechat.rasa_standin import RasaStandIn

WECHAT_TOKEN = "integration-wechat-token"
ALLOWED_ORIGIN = "https://portal.example.gov.cn"  # a bureau's portal, whose widget may call the web chat


@dataclass
class PlatformApp:
    app: Flask
    sessions: sessionmaker
    rasa: RasaStandIn


def _settings(**values: object) -> settings.Settings:
    """The test's settings over the environment's; a setting this checkout does not have is left out."""
    known = {f.name for f in dataclasses.fields(settings.Settings)}
    return dataclasses.replace(settings.load(), **{k: v for k, v in values.items() if k in known})


@pytest.fixture(scope="module")
def platform_app(postgres, redis_url, seeded_backoffice_url, monkeypatch_module) -> Iterator[PlatformApp]:
    from backoffice.app import create_app as create_backoffice
    from web.app import create_app

    db_url = postgres.create("civic_edge")
    upgrade("platform", db_url)
    monkeypatch_module.setenv("BACKOFFICE_DATABASE_URL", seeded_backoffice_url)
    monkeypatch_module.setenv("BACKOFFICE_TOKEN", "integration-backoffice-token")
    rasa = RasaStandIn()
    with served(rasa.server) as rasa_url, served(create_backoffice(settings.load())) as backoffice_url:
        config = _settings(
            database_url=db_url,
            redis_url=redis_url,
            rasa_urls=(rasa_url,),
            backoffice_url=backoffice_url,
            backoffice_token="integration-backoffice-token",
            registry_database_url=seeded_backoffice_url,
            idp_issuer=backoffice_url + "/idp",
            secret_key="integration-secret-key-" + "x" * 20,
            wechat_token=WECHAT_TOKEN,
            wechat_encoding_aes_key="",
            wechat_api_base="http://127.0.0.1:9",
            reply_budget_seconds=3.0,
            log_level="CRITICAL",
            resident_rate_limit=100_000,
            web_chat_address_limit="0",
            chat_allowed_origins=(ALLOWED_ORIGIN,),
            socketio_channel=True,  # /socket.io (tests/integration/test_socketio_channel.py)
        )
        app = create_app(config)
        yield PlatformApp(app, app.extensions["database"].sessions, rasa)
        app.extensions["database"].engine.dispose()


@pytest.fixture(scope="module")
def monkeypatch_module() -> Iterator[pytest.MonkeyPatch]:
    with pytest.MonkeyPatch.context() as mp:
        yield mp
