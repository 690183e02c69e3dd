"""Signing a registry resident in at the identity provider stand-in, as a relying party does."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from authlib.oauth2.rfc7636 import create_s256_code_challenge
from flask import Flask
from flask.testing import FlaskClient
from joserfc.jwk import RSAKey
from sqlalchemy import select

from backoffice.identity import provider_routes
from backoffice.identity.models import SmsMessage
from backoffice.identity.provider import Client, ProviderConfig
from backoffice.residents.models import Resident
from common.db import Database, make_engine

ISSUER = "https://idp.test/idp"
REDIRECT = "http://platform.test/identity/callback"
CLIENT = Client("civic-platform", "s3cret-for-tests", (REDIRECT,))


@dataclass(frozen=True)
class Provider:
    app: Flask
    url: str  # the back-office database the provider reads the registry from
    config: ProviderConfig


def make_provider(backoffice_url: str) -> Provider:
    app = Flask("idp-test")
    app.config["SECRET_KEY"] = "test-only"
    Database(backoffice_url).init_app(app)
    key = RSAKey.generate_key(2048)
    key.ensure_kid()
    config = ProviderConfig(ISSUER, key, (CLIENT,))
    provider_routes.init_app(app, config, sms_demo=True)
    return Provider(app, backoffice_url, config)


def residents_with_phones(url: str, n: int = 2) -> list:
    with make_engine(url).connect() as conn:
        return conn.execute(
            select(Resident.id, Resident.name, Resident.id_number, Resident.phone)
            .where(Resident.phone != "")
            .order_by(Resident.id)
            .limit(n)
        ).all()


def authorize_query(verifier: str, nonce: str, state: str, overrides: dict | None = None, rp: Client = CLIENT) -> dict:
    query = {
        "response_type": "code",
        "client_id": rp.client_id,
        "redirect_uri": rp.redirect_uris[0],
        "scope": "openid",
        "state": state,
        "nonce": nonce,
        "code_challenge": create_s256_code_challenge(verifier),
        "code_challenge_method": "S256",
    }
    query.update(overrides or {})
    return {k: v for k, v in query.items() if v is not None}


def last_code(url: str, phone: str) -> str:
    with make_engine(url).connect() as conn:
        text = conn.execute(
            select(SmsMessage.text).where(SmsMessage.phone == phone).order_by(SmsMessage.id.desc())
        ).scalar()
    return text.split("验证码是")[1][:6]


def sign_in(client: FlaskClient, url: str, resident, query: dict) -> str:
    """Both sign-in pages; returns the Location the provider redirects to."""
    page = client.get("/idp/authorize", query_string=query)
    assert page.status_code == 200 and "身份证号码" in page.text
    sent = client.post(
        "/idp/authorize",
        query_string=query,
        data={"step": "identify", "name": resident.name, "id_number": resident.id_number},
    )
    assert sent.status_code == 200, sent.text
    assert resident.phone[:3] + "****" + resident.phone[-4:] in sent.text
    done = client.post(
        "/idp/authorize", query_string=query, data={"step": "verify", "code": last_code(url, resident.phone)}
    )
    assert done.status_code == 302, done.text
    return done.headers["Location"]


def id_token_for(provider: Provider, resident) -> str:
    """A whole sign-in of ``resident`` at a test provider: the ID token the relying party ends with."""
    return signed_in_token(provider.app.test_client(), provider.url, resident, CLIENT)


def signed_in_token(client: FlaskClient, url: str, resident, rp: Client) -> str:
    """A whole sign-in of ``resident`` through ``client`` as relying party ``rp``: its ID token."""
    verifier = secrets.token_urlsafe(48)
    location = sign_in(client, url, resident, authorize_query(verifier, secrets.token_urlsafe(8), "s", rp=rp))
    code = parse_qs(urlsplit(location).query)["code"][0]
    token = client.post(
        "/idp/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": rp.redirect_uris[0],
            "code_verifier": verifier,
        },
        auth=(rp.client_id, rp.client_secret),
    )
    assert token.status_code == 200, token.text
    return token.get_json()["id_token"]
