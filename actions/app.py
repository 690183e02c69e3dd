"""The action server's Flask app factory."""
from __future__ import annotations

from flask import Flask

from actions import endpoint, marriage, services  # noqa: F401  (marriage registers its actions on import)
from common import logging_setup, settings
from common.health import health_blueprint


def _backoffice_ready() -> None:
    services.backoffice().session.get(services.backoffice().base_url + "/readyz", timeout=2).raise_for_status()


def create_app(config: settings.Settings | None = None) -> Flask:
    config = config or settings.load()
    logging_setup.configure("actions", config.log_level)
    app = Flask(__name__)
    app.register_blueprint(health_blueprint({"backoffice": _backoffice_ready}))
    app.register_blueprint(endpoint.bp)
    return app
