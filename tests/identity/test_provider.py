"""The identity provider stand-in, driven as a relying party would drive it (OIDC code flow + PKCE).

The relying party's side uses Authlib's client helpers and joserfc to check the ID token
against the published key set, so the provider is held to the protocol, not to itself.
"""

from __future__ import annotations

import secrets
from urllib.parse import parse_qs, urlsplit

import pytest
from authlib.oidc.discovery import OpenIDProviderMetadata
from joserfc import jwt
from joserfc.jwk import KeySet
from sqlalchemy import func, select

from backoffice.identity.models import SigninCode, SmsMessage
from common.db import make_engine
from tests.identity.provider import (
    CLIENT,
    ISSUER,
    REDIRECT,
    authorize_query,
    last_code,
    make_provider,
    residents_with_phones,
    sign_in,
)


@pytest.fixture
def provider(tmp_path_factory):
    from tests.conftest import seeded_backoffice

    made = make_provider(seeded_backoffice(tmp_path_factory, "idp"))
    return made.app, made.url, residents_with_phones(made.url, 1)[0]


def test_discovery_document_is_valid_openid_provider_metadata(provider):
    app, _, _ = provider
    doc = app.test_client().get("/idp/.well-known/openid-configuration").get_json()
    OpenIDProviderMetadata(doc).validate()
    assert doc["issuer"] == ISSUER and doc["code_challenge_methods_supported"] == ["S256"]
    keys = app.test_client().get(doc["jwks_uri"].removeprefix("https://idp.test")).get_json()
    assert keys["keys"] and all("d" not in k for k in keys["keys"])  # public parts only


def test_a_resident_signs_in_and_the_id_token_names_them_by_registry_id(provider):
    app, url, resident = provider
    client = app.test_client()
    verifier, nonce, state = secrets.token_urlsafe(48), secrets.token_urlsafe(16), secrets.token_urlsafe(16)
    location = sign_in(client, url, resident, authorize_query(verifier, nonce, state))
    assert location.startswith(REDIRECT + "?")
    params = parse_qs(urlsplit(location).query)
    assert params["state"] == [state]
    token = client.post(
        "/idp/token",
        data={
            "grant_type": "authorization_code",
            "code": params["code"][0],
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
        },
        auth=(CLIENT.client_id, CLIENT.client_secret),
    )
    assert token.status_code == 200, token.text
    keys = KeySet.import_key_set(client.get("/idp/jwks.json").get_json())
    claims = jwt.decode(token.get_json()["id_token"], keys, algorithms=["RS256"]).claims
    assert claims["sub"] == str(resident.id)
    assert (claims["iss"], claims["aud"], claims["nonce"], claims["amr"]) == (
        ISSUER,
        [CLIENT.client_id],
        nonce,
        ["sms"],
    )
    # the code is single-use
    again = client.post(
        "/idp/token",
        data={
            "grant_type": "authorization_code",
            "code": params["code"][0],
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
        },
        auth=(CLIENT.client_id, CLIENT.client_secret),
    )
    assert again.status_code == 400 and again.get_json()["error"] == "invalid_grant"


def test_the_code_is_refused_without_the_verifier_it_was_issued_for(provider):
    app, url, resident = provider
    client = app.test_client()
    verifier = secrets.token_urlsafe(48)
    location = sign_in(client, url, resident, authorize_query(verifier, "n1", "s1"))
    code = parse_qs(urlsplit(location).query)["code"][0]
    wrong = client.post(
        "/idp/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": secrets.token_urlsafe(48),
        },
        auth=(CLIENT.client_id, CLIENT.client_secret),
    )
    assert wrong.status_code == 400 and wrong.get_json()["error"] == "invalid_grant"


@pytest.mark.parametrize(
    "override",
    [
        {"code_challenge": None},
        {"code_challenge_method": "plain"},
        {"nonce": None},
        {"redirect_uri": "http://evil.test/cb"},
        {"client_id": "someone-else"},
    ],
)
def test_an_authorization_request_without_pkce_nonce_or_registered_client_is_refused(provider, override):
    app, _, _ = provider
    page = app.test_client().get("/idp/authorize", query_string=authorize_query("v" * 50, "n", "s", override))
    assert page.status_code == 400 and "不能用" in page.text


def test_a_name_that_does_not_match_the_id_number_sends_nothing(provider):
    app, url, resident = provider
    client = app.test_client()
    refused = client.post(
        "/idp/authorize",
        query_string=authorize_query("v" * 50, "n", "s"),
        data={"step": "identify", "name": resident.name + "某", "id_number": resident.id_number},
    )
    assert refused.status_code == 400 and "对不上" in refused.text
    with make_engine(url).connect() as conn:
        assert conn.execute(select(func.count()).select_from(SmsMessage)).scalar() == 0


def test_five_wrong_codes_use_the_code_up(provider):
    app, url, resident = provider
    client = app.test_client()
    query = authorize_query("v" * 50, "n", "s")
    client.post(
        "/idp/authorize",
        query_string=query,
        data={"step": "identify", "name": resident.name, "id_number": resident.id_number},
    )
    right = last_code(url, resident.phone)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    for left in (4, 3, 2, 1):
        page = client.post("/idp/authorize", query_string=query, data={"step": "verify", "code": wrong})
        assert page.status_code == 400 and f"还可以再试{left}次" in page.text
    last = client.post("/idp/authorize", query_string=query, data={"step": "verify", "code": wrong})
    assert "重新获取" in last.text and "身份证号码" in last.text  # back to the first page
    late = client.post("/idp/authorize", query_string=query, data={"step": "verify", "code": right})
    assert late.status_code == 400  # the right code no longer works either
    with make_engine(url).connect() as conn:
        assert conn.execute(select(SigninCode.attempts)).scalar() == 5


def test_a_code_entered_in_another_browser_signs_nobody_in(provider):
    app, url, resident = provider
    query = authorize_query("v" * 50, "n", "s")
    app.test_client().post(
        "/idp/authorize",
        query_string=query,
        data={"step": "identify", "name": resident.name, "id_number": resident.id_number},
    )
    other = app.test_client().post(
        "/idp/authorize", query_string=query, data={"step": "verify", "code": last_code(url, resident.phone)}
    )
    assert other.status_code == 400 and "Location" not in other.headers


def test_what_a_sign_in_leaves_behind_is_deleted_after_a_day(provider):
    from datetime import timedelta

    from sqlalchemy.orm import Session

    from backoffice.identity.clock import utcnow
    from backoffice.identity.models import AuthorizationCode

    app, url, resident = provider
    old = utcnow() - timedelta(days=1, minutes=1)
    with Session(make_engine(url)) as sess:
        sess.add(SigninCode(id="old-code", resident_id=resident.id, code_hash="x", created_at=old, expires_at=old))
        sess.add(
            AuthorizationCode(
                code="old-auth",
                client_id="c",
                redirect_uri="r",
                scope="openid",
                nonce="n",
                resident_id=resident.id,
                code_challenge="c",
                code_challenge_method="S256",
                auth_time=0,
                expires_at=old,
            )
        )
        sess.add(SmsMessage(phone=resident.phone, text="旧短信", sent_at=old))
        sess.commit()
    client = app.test_client()
    client.post(
        "/idp/authorize",
        query_string=authorize_query("v" * 50, "n", "s"),
        data={"step": "identify", "name": resident.name, "id_number": resident.id_number},
    )
    with Session(make_engine(url)) as sess:
        assert sess.get(SigninCode, "old-code") is None and sess.get(AuthorizationCode, "old-auth") is None
        texts = sess.scalars(select(SmsMessage.text)).all()
        assert len(texts) == 1 and "旧短信" not in texts[0]  # only the code just sent
        assert sess.scalar(select(func.count()).select_from(SigninCode)) == 1  # the new one
