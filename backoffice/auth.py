"""Bearer-token check for every API call (the bureau gateway's service token)."""
from __future__ import annotations

import hmac

from flask import Flask, jsonify, request

OPEN_PATHS = frozenset({"/healthz", "/readyz", "/openapi.json", "/metrics"})


def init_app(app: Flask, token: str) -> None:
    @app.before_request
    def _require_token():
        if request.path in OPEN_PATHS:
            return None
        supplied = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(supplied.encode(), token.encode()):
            return jsonify(error="unauthorized", message="缺少或错误的接口令牌"), 401
        return None
