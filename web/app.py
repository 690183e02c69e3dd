"""The platform web app factory: channels now; handoff console and admin join as blueprints."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from common import logging_setup, settings
from common.db import Database
from common.health import health_blueprint
from common.redis_client import connect as connect_redis
from web.channels import chat_page, rest, wechat
from web.channels.choices import Choices
from web.channels.dedupe import ReplyLedger
from web.channels.ratelimit import ResidentRateLimit
from web.channels.wechat_protocol import WechatConfig
from web.channels.wechat_service import WechatChannel
from web import admin, console, metrics, policy
from web.analytics import views as analytics
from web.assistance import outbox  # noqa: F401  (registers the "outbox" side effect)
from web.handbook import views as handbook_admin
from web.conversations.router import Router
from web.policy import reply as policy_reply
from web.outbound import Outbound
from web.outbound.wechat_sender import EarlyReceipts
from web.rasa_client import RasaClient

BOT_THREADS = 32  # per process: conversations waiting on Rasa while WeChat already has its answer


def create_app(config: settings.Settings | None = None) -> Flask:
    config = config or settings.load()
    logging_setup.configure("web", config.log_level)
    app = Flask(__name__)
    if config.trusted_proxies:  # behind TLS-terminating proxies: the client's address and scheme as they saw them
        n = config.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]
    app.config["SECRET_KEY"] = config.secret_key
    app.config["SESSION_COOKIE_SECURE"] = config.public_base_url.startswith("https://")
    app.config["MAX_CONTENT_LENGTH"] = 256 * 1024
    database = Database(config.database_url)
    database.init_app(app)
    redis_client = connect_redis(config.redis_url)
    rasa = RasaClient(config.rasa_urls, config.rasa_token)
    router = Router(database.sessions, rasa, rewrite=policy_reply.rewrite)
    outbound = Outbound(database.sessions, redis_client)
    limiter = ResidentRateLimit(redis_client, config.resident_rate_limit)
    app.extensions["redis"] = redis_client
    app.extensions["router"] = router
    app.extensions["outbound"] = outbound
    app.extensions["rate_limiter"] = limiter
    app.extensions["wechat_config"] = WechatConfig(config.wechat_token, config.wechat_app_id, config.wechat_encoding_aes_key)
    app.extensions["wechat_channel"] = WechatChannel(
        router, outbound, database.sessions, ReplyLedger(redis_client), limiter, Choices(redis_client),
        EarlyReceipts(redis_client), config.reply_budget_seconds,
        ThreadPoolExecutor(max_workers=BOT_THREADS, thread_name_prefix="wechat-bot"))
    app.register_blueprint(health_blueprint({"database": database.ping, "redis": redis_client.ping, "rasa": rasa.ready}))
    metrics.init_app(app, database.sessions, redis_client)
    analytics.init_app(app, database.sessions)
    policy.init_app(app, config)
    app.register_blueprint(rest.bp)
    app.register_blueprint(wechat.bp)
    app.register_blueprint(chat_page.bp)
    console.init_app(app, config, database, redis_client)
    admin.init_app(app)  # /admin/: landing page, navigation and labels of the admin pages
    app.register_blueprint(handbook_admin.bp)
    return app
