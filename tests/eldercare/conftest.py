"""A freshly seeded back-office per test module (these tests write: beds, applications)."""
from __future__ import annotations

import pytest

from backoffice.app import create_app
from backoffice.seed.load import seed
from common import settings
from common.db import make_engine
from common.migrate import upgrade

TOKEN = "eldercare-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def backoffice_url(tmp_path_factory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('eldercare') / 'backoffice.db'}"
    upgrade("backoffice", url)
    seed(make_engine(url))
    return url


@pytest.fixture
def client(backoffice_url, monkeypatch):
    monkeypatch.setenv("BACKOFFICE_DATABASE_URL", backoffice_url)
    monkeypatch.setenv("BACKOFFICE_TOKEN", TOKEN)
    return create_app(settings.load()).test_client()
