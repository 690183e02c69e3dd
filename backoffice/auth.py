"""Bearer-token check for every API call (the bureau gateway's service token)."""

from __future__ import annotations

import hmac

from flask import Flask, request

from backoffice.errors import ApiError

OPEN_PATHS = frozenset({"/healthz", "/readyz", "/openapi.json", "/metrics"})
OPEN_PREFIXES = (
    "/idp/",  # the identity provider stand-in: residents' browsers and relying parties (OpenID Connect)
    "/cemetery/gate/",  # the gate-check page an attendant opens from a signed booking link (backoffice/cemetery/)
)
UNAUTHORIZED = ApiError(401, "unauthorized", "缺少或错误的接口令牌")


def init_app(app: Flask, token: str) -> None:
    @app.before_request
    def _require_token():
        if request.path in OPEN_PATHS or request.path.startswith(OPEN_PREFIXES):
            return None
        supplied = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(supplied.encode(), token.encode()):
            raise UNAUTHORIZED
        return None
