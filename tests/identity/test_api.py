"""The back-office's identity API, on the real back-office app with the provider mounted at /idp."""

from __future__ import annotations

import pytest
from joserfc.jwk import RSAKey

from backoffice.identity.provider import Client
from tests.identity.provider import residents_with_phones, signed_in_token

TOKEN = "identity-api-token"
PLATFORM = Client("civic-platform", "oidc-secret-for-tests", ("http://platform.test/identity/callback",))
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def backoffice(tmp_path_factory, monkeypatch):
    from tests.conftest import backoffice_test_client, seeded_backoffice

    url = seeded_backoffice(tmp_path_factory, "idapi")
    monkeypatch.setenv("PUBLIC_BASE_URL", "http://platform.test")
    monkeypatch.setenv("OIDC_CLIENT_ID", PLATFORM.client_id)
    monkeypatch.setenv("OIDC_CLIENT_SECRET", PLATFORM.client_secret)
    monkeypatch.setenv("IDP_ISSUER", "http://backoffice.test/idp")
    monkeypatch.setenv("IDP_SIGNING_KEY", RSAKey.generate_key(2048).as_pem(private=True).decode())
    return backoffice_test_client(url, TOKEN, monkeypatch), url


def test_a_sender_is_bound_from_a_sign_in_looked_up_and_unbound(backoffice):
    client, url = backoffice
    resident = residents_with_phones(url, 1)[0]
    id_token = signed_in_token(client, url, resident, PLATFORM)  # the provider's pages need no service token
    bound = client.post("/identity/bindings", json={"sender": "oAPI1", "id_token": id_token}, headers=AUTH)
    assert bound.status_code == 201, bound.text
    assert (bound.get_json()["resident_id"], bound.get_json()["masked_name"]) == (
        resident.id,
        resident.name[0] + "*" * (len(resident.name) - 1),
    )
    assert client.get("/identity/bindings/oAPI1", headers=AUTH).get_json()["method"] == "sms_otp"
    assert client.get("/residents/by-openid/oAPI1", headers=AUTH).get_json()["id"] == resident.id
    assert client.delete("/identity/bindings/oAPI1", headers=AUTH).status_code == 204
    assert client.get("/identity/bindings/oAPI1", headers=AUTH).get_json()["error"] == "not_bound"
    assert client.get("/residents/by-openid/oAPI1", headers=AUTH).status_code == 404


def test_binding_needs_the_service_token_and_a_real_id_token(backoffice):
    client, _ = backoffice
    assert client.post("/identity/bindings", json={"sender": "oAPI2", "id_token": "x"}).status_code == 401
    forged = client.post("/identity/bindings", json={"sender": "oAPI2", "id_token": "x.y.z"}, headers=AUTH)
    assert forged.status_code == 400 and forged.get_json()["error"] == "invalid_id_token"
    empty = client.post("/identity/bindings", json={"id_token": "x.y.z"}, headers=AUTH)
    assert empty.status_code == 400 and empty.get_json()["error"] == "invalid_request"


def test_a_web_chat_sign_in_binds_for_its_lifetime_only_and_is_then_deleted_with_an_audit_event(backoffice):
    from datetime import datetime, timedelta

    from sqlalchemy import select, update
    from sqlalchemy.orm import Session

    from backoffice.identity import retention
    from backoffice.identity.models import BindingEvent
    from backoffice.residents.models import WechatBinding
    from common.db import make_engine

    client, url = backoffice
    resident = residents_with_phones(url, 1)[0]
    id_token = signed_in_token(client, url, resident, PLATFORM)
    for wrong in (0, 59, 24 * 3600 + 1, "7200", 7200.5, True):
        refused = client.post(
            "/identity/bindings",
            json={"sender": "web:page-x", "id_token": id_token, "lifetime_seconds": wrong},
            headers=AUTH,
        )
        assert refused.status_code == 400 and refused.get_json()["error"] == "invalid_request", wrong
    bound = client.post(
        "/identity/bindings",
        json={"sender": "web:page-x", "id_token": id_token, "lifetime_seconds": 7200},
        headers=AUTH,
    )
    assert bound.status_code == 201, bound.text
    ends = datetime.fromisoformat(bound.get_json()["expires_at"])
    assert (
        timedelta(minutes=119)
        < ends - datetime.fromisoformat(bound.get_json()["bound_at"])
        <= timedelta(hours=2, seconds=5)
    )
    assert client.get("/residents/by-openid/web:page-x", headers=AUTH).get_json()["id"] == resident.id

    engine = make_engine(url)
    with engine.begin() as conn:  # two hours go by
        conn.execute(
            update(WechatBinding)
            .where(WechatBinding.openid == "web:page-x")
            .values(expires_at=ends - timedelta(hours=3))
        )
    assert client.get("/identity/bindings/web:page-x", headers=AUTH).get_json()["error"] == "not_bound"
    assert client.get("/residents/by-openid/web:page-x", headers=AUTH).status_code == 404

    with Session(engine) as sess, sess.begin():
        retention.purge(sess, datetime.now())
    with engine.connect() as conn:
        assert conn.scalar(select(WechatBinding.openid).where(WechatBinding.openid == "web:page-x")) is None
        events = conn.execute(
            select(BindingEvent.action, BindingEvent.note)
            .where(BindingEvent.sender == "web:page-x")
            .order_by(BindingEvent.id)
        ).all()
    assert [tuple(e) for e in events] == [("bound", "signed in"), ("unbound", "sign-in expired")]


def test_the_provider_publishes_its_discovery_without_the_service_token(backoffice):
    client, _ = backoffice
    doc = client.get("/idp/.well-known/openid-configuration").get_json()
    assert doc["issuer"] == "http://backoffice.test/idp" and doc["token_endpoint"] == "http://backoffice.test/idp/token"


def test_the_demo_residents_readme_lists_are_in_the_seeded_registry(tmp_path_factory):
    """README's table of residents to sign in as: each one's name, ID number, phone and binding."""
    import re
    from pathlib import Path

    from sqlalchemy import select

    from backoffice.residents.models import Resident, WechatBinding
    from common.db import make_engine
    from common.masking import mask_phone
    from tests.conftest import seeded_backoffice

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    rows = re.findall(
        r"^\| (\S+) \| (\d{17}[\dX]) \| (\d{3}\*{4}\d{4})(?: \(already bound to `(\w+)`\))? \|$", readme, re.M
    )
    assert len(rows) >= 3
    engine = make_engine(seeded_backoffice(tmp_path_factory, "readme"))
    with engine.connect() as conn:
        for name, id_number, phone, openid in rows:
            resident = conn.execute(
                select(Resident.id, Resident.name, Resident.phone).where(Resident.id_number == id_number)
            ).one()
            assert (resident.name, mask_phone(resident.phone)) == (name, phone)
            bound = (
                conn.execute(select(WechatBinding.openid).where(WechatBinding.resident_id == resident.id))
                .scalars()
                .all()
            )
            assert bound == ([openid] if openid else [])
