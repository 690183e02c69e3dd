"""The action server's Flask app factory."""

from __future__ import annotations

from flask import Flask

# Each domain module registers its actions with the executor when imported.
from actions import (  # noqa: F401
    assistance,
    benefits,
    cemetery,
    core,
    eldercare,
    endpoint,
    feedback,
    handbook,
    handoff,
    marriage,
    policy,
    services,
)
from common import logging_setup, metrics, settings
from common.health import health_blueprint


def _backoffice_ready() -> None:
    client = services.client()
    client.session.get(client.base_url + "/readyz", timeout=2).raise_for_status()


def create_app(config: settings.Settings | None = None) -> Flask:
    config = config or settings.load()
    settings.require_secrets(config, "ACTIONS_TOKEN", "BACKOFFICE_TOKEN")
    logging_setup.configure("actions", config.log_level)
    app = Flask(__name__)
    app.config["ACTIONS_TOKEN"] = config.actions_token  # what Rasa sends (actions/endpoint.py)
    app.register_blueprint(health_blueprint({"backoffice": _backoffice_ready}))
    app.register_blueprint(endpoint.bp)
    metrics.init_app(app, "actions")
    return app
