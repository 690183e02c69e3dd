"""The back-office Flask app factory."""

from __future__ import annotations

from flask import Flask, jsonify

from backoffice import auth, contract, documents, errors, identity
from backoffice.assistance.routes import bp as assistance_bp
from backoffice.benefits.routes import bp as benefits_bp
from backoffice.cemetery.routes import bp as cemetery_bp
from backoffice.changes.routes import bp as changes_bp
from backoffice.child_protection.routes import bp as child_protection_bp
from backoffice.eldercare.routes import bp as eldercare_bp
from backoffice.handbook.routes import bp as handbook_bp
from backoffice.marriage.routes import bp as marriage_bp
from backoffice.region.routes import bp as region_bp
from backoffice.residents.routes import bp as residents_bp
from common import logging_setup, metrics, settings
from common.db import Database
from common.health import health_blueprint


def create_app(config: settings.Settings | None = None) -> Flask:
    config = config or settings.load()
    # IDP_SIGNING_KEY, OIDC_CLIENT_SECRET and SECRET_KEY: the identity provider stand-in's
    settings.require_secrets(config, "BACKOFFICE_TOKEN", "SECRET_KEY", "OIDC_CLIENT_SECRET", "IDP_SIGNING_KEY")
    logging_setup.configure("backoffice", config.log_level)
    app = Flask(__name__)
    app.config["SECRET_KEY"] = config.secret_key  # the identity provider's sign-in pages keep their step in a cookie
    app.config["SESSION_COOKIE_NAME"] = "idp_session"  # not the platform's cookie, should both share a host name
    database = Database(config.backoffice_database_url)
    database.init_app(app)
    errors.init_app(app)
    auth.init_app(app, config.backoffice_token)
    app.register_blueprint(health_blueprint({"database": database.ping}))
    metrics.init_app(app, "backoffice")
    app.register_blueprint(region_bp)
    app.register_blueprint(residents_bp)
    app.register_blueprint(assistance_bp)
    app.register_blueprint(marriage_bp)
    app.register_blueprint(eldercare_bp)
    app.register_blueprint(handbook_bp)
    app.register_blueprint(child_protection_bp)
    app.register_blueprint(changes_bp)
    app.register_blueprint(cemetery_bp)
    app.register_blueprint(benefits_bp)
    app.register_blueprint(documents.bp)
    identity.init_app(app, config)

    @app.get("/openapi.json")
    @contract.operation(
        "This document (generated from the routes; backoffice/contract.py)",
        responses={200: ("OpenAPI document", None)},
        public=True,
    )
    def openapi():
        if "openapi" not in app.extensions:
            app.extensions["openapi"] = contract.build(app)
        return jsonify(app.extensions["openapi"])

    return app
