"""The platform web app factory: channels now; handoff console and admin join as blueprints."""
from __future__ import annotations

import redis
from flask import Flask

from common import logging_setup, settings
from common.db import Database
from common.health import health_blueprint
from web.channels import rest, wechat
from web.channels.wechat_protocol import WechatConfig
from web.conversations.router import Router
from web.rasa_client import RasaClient


def create_app(config: settings.Settings | None = None) -> Flask:
    config = config or settings.load()
    logging_setup.configure("web", config.log_level)
    app = Flask(__name__)
    app.config["SECRET_KEY"] = config.secret_key
    app.config["MAX_CONTENT_LENGTH"] = 256 * 1024
    database = Database(config.database_url)
    database.init_app(app)
    redis_client = redis.Redis.from_url(config.redis_url)
    rasa = RasaClient(config.rasa_urls, config.rasa_token)
    app.extensions["redis"] = redis_client
    app.extensions["router"] = Router(database.sessions, rasa)
    app.extensions["wechat_config"] = WechatConfig(config.wechat_token, config.wechat_app_id, config.wechat_encoding_aes_key)
    app.register_blueprint(health_blueprint({"database": database.ping, "redis": redis_client.ping, "rasa": rasa.ready}))
    app.register_blueprint(rest.bp)
    app.register_blueprint(wechat.bp)
    return app
