"""`GET /healthz` (the process answers) and `GET /readyz` (its dependencies answer)."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, jsonify

Check = Callable[[], None]  # raises when the dependency is not usable


def health_blueprint(checks: dict[str, Check]) -> Blueprint:
    bp = Blueprint("health", __name__)

    @bp.get("/healthz")
    def healthz():
        return jsonify(status="ok")

    @bp.get("/readyz")
    def readyz():
        results: dict[str, str] = {}
        ready = True
        for name, check in checks.items():
            try:
                check()
                results[name] = "ok"
            except Exception as exc:  # a readiness probe reports every failure, whatever its type
                ready = False
                results[name] = f"unavailable: {type(exc).__name__}"
        return jsonify(status="ok" if ready else "unavailable", checks=results), (200 if ready else 503)

    return bp
