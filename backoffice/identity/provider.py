"""The OpenID Connect provider: Authlib's authorization server with the code grant, PKCE and ID tokens.

Only what a relying party needs is offered: discovery, the authorization endpoint (the
sign-in pages in `routes.py`), the token endpoint and the signing key set. PKCE (S256) and a
nonce are required of every client; the ID token's `sub` is the registry's resident id. There
is no userinfo endpoint: the relying party learns who signed in from the ID token and asks the
bureau's back-office for anything else.
"""

from __future__ import annotations

import hmac
import time
from dataclasses import dataclass
from datetime import timedelta

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import ClientMixin, grants
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import UserInfo
from authlib.oidc.core.grants import OpenIDCode
from flask import Flask
from joserfc.jwk import KeySet, RSAKey
from sqlalchemy import select

from backoffice.identity.clock import utcnow
from backoffice.identity.models import AuthorizationCode
from backoffice.residents.models import Resident
from common.db import session

AUTHORIZATION_CODE_LIFETIME = timedelta(minutes=1)
ID_TOKEN_LIFETIME_SECONDS = 600
SCOPES = ("openid",)


@dataclass(frozen=True)
class Client(ClientMixin):
    """A relying party registered with the provider (the platform; in production, by the city)."""

    client_id: str
    client_secret: str
    redirect_uris: tuple[str, ...]

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str:
        return self.redirect_uris[0]

    def get_allowed_scope(self, scope: str) -> str:
        return " ".join(s for s in scope.split() if s in SCOPES)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        return hmac.compare_digest(client_secret.encode(), self.client_secret.encode())

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "authorization_code"


@dataclass(frozen=True)
class ProviderConfig:
    issuer: str  # e.g. http://127.0.0.1:8100/idp; discovery at <issuer>/.well-known/openid-configuration
    signing_key: RSAKey
    clients: tuple[Client, ...]

    def client(self, client_id: str) -> Client | None:
        return next((c for c in self.clients if c.client_id == client_id), None)

    def public_keys(self) -> dict:
        return KeySet([self.signing_key]).as_dict(private=False)


class CodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

    def save_authorization_code(self, code: str, request) -> None:
        payload = request.payload
        sess = session()
        sess.add(
            AuthorizationCode(
                code=code,
                client_id=request.client.get_client_id(),
                redirect_uri=payload.redirect_uri or "",
                scope=payload.scope,
                nonce=payload.data.get("nonce"),
                resident_id=request.user.id,
                code_challenge=payload.data["code_challenge"],
                code_challenge_method=payload.data.get("code_challenge_method", "plain"),
                auth_time=int(time.time()),
                expires_at=utcnow() + AUTHORIZATION_CODE_LIFETIME,
            )
        )
        sess.commit()

    def query_authorization_code(self, code: str, client: Client) -> AuthorizationCode | None:
        found = session().scalar(
            select(AuthorizationCode).where(
                AuthorizationCode.code == code, AuthorizationCode.client_id == client.get_client_id()
            )
        )
        return found if found is not None and found.expires_at > utcnow() else None

    def delete_authorization_code(self, authorization_code: AuthorizationCode) -> None:
        sess = session()
        sess.delete(authorization_code)
        sess.commit()

    def authenticate_user(self, authorization_code: AuthorizationCode) -> Resident | None:
        return session().get(Resident, authorization_code.resident_id)


class S256Only(CodeChallenge):
    """PKCE is required, and only with S256 (RFC 7636 allows `plain`; nothing here needs it)."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]


class IdToken(OpenIDCode):
    """Signs the ID token with the provider's key; `sub` is the resident's registry id."""

    def __init__(self, config: ProviderConfig) -> None:
        super().__init__(require_nonce=True)
        self.config = config

    def exists_nonce(self, nonce: str, request) -> bool:
        return (
            session().scalar(
                select(AuthorizationCode.code).where(
                    AuthorizationCode.client_id == request.payload.client_id, AuthorizationCode.nonce == nonce
                )
            )
            is not None
        )

    def resolve_client_private_key(self, client: Client) -> RSAKey:
        return self.config.signing_key

    def get_client_algorithm(self, client: Client) -> str:
        return "RS256"

    def get_client_claims(self, client: Client) -> dict:
        now = int(time.time())
        return {"iss": self.config.issuer, "aud": [client.get_client_id()], "exp": now + ID_TOKEN_LIFETIME_SECONDS}

    def get_encode_header(self, client: Client) -> dict:
        return {"alg": "RS256", "kid": self.config.signing_key.kid}

    def generate_user_info(self, user: Resident, scope: str) -> UserInfo:
        return UserInfo(sub=str(user.id))


def discovery_document(config: ProviderConfig) -> dict:
    """OpenID Connect Discovery 1.0 metadata (the fields the code flow with PKCE needs)."""
    issuer = config.issuer
    return {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/authorize",
        "token_endpoint": f"{issuer}/token",
        "jwks_uri": f"{issuer}/jwks.json",
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": list(SCOPES),
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "amr"],
        "token_endpoint_auth_methods_supported": list(CodeGrant.TOKEN_ENDPOINT_AUTH_METHODS),
        "code_challenge_methods_supported": ["S256"],
        "ui_locales_supported": ["zh-CN"],
    }


def make_server(app: Flask, config: ProviderConfig) -> AuthorizationServer:
    server = AuthorizationServer(app, query_client=config.client, save_token=lambda token, request: None)
    server.register_grant(CodeGrant, [S256Only(required=True), IdToken(config)])
    return server
