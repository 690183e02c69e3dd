"""The back-office HTTP API in-process (Flask test client) on the seeded demo region."""

from __future__ import annotations

import pytest

from backoffice.app import create_app
from common import settings
from tests.conftest import backoffice_test_client

TOKEN = "unit-test-token"


@pytest.fixture
def client(seeded_backoffice_url, monkeypatch):
    return backoffice_test_client(seeded_backoffice_url, TOKEN, monkeypatch)


AUTH = {"Authorization": f"Bearer {TOKEN}"}


def test_health_and_openapi_need_no_token(client):
    assert client.get("/healthz").json == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json["checks"]["database"] == "ok"
    assert client.get("/openapi.json").json["openapi"].startswith("3.")


def test_api_calls_without_the_right_token_are_refused(client):
    assert client.get("/offices").status_code == 401
    resp = client.get("/offices", headers={"Authorization": "Bearer wrong"})
    assert resp.status_code == 401 and resp.json["error"] == "unauthorized"


def test_offices_of_one_district(client):
    all_offices = client.get("/offices", headers=AUTH).json["offices"]
    putuo = client.get("/offices?district=310107", headers=AUTH).json["offices"]
    assert putuo and len(putuo) < len(all_offices)
    assert all(o["district_code"] == "310107" for o in putuo)
    assert {"结婚", "离婚"} <= set(putuo[0]["services"])


def test_readyz_reports_a_dead_database(tmp_path, monkeypatch):
    monkeypatch.setenv("BACKOFFICE_DATABASE_URL", f"sqlite:///{tmp_path}/missing/dir/db.sqlite")
    client = create_app(settings.load()).test_client()
    resp = client.get("/readyz")
    assert resp.status_code == 503 and resp.json["status"] == "unavailable"
