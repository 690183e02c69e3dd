"""The platform web app factory: channels, the agent console and the admin pages as blueprints.

What the app talks to is built once, from its settings, by web/services.py (the Celery
worker builds its own there too); this module only plugs it into Flask.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from common import logging_setup, settings
from common.danger import classifier as danger_classifier
from common.health import health_blueprint
from web import admin, console, error_pages, metrics, oncall, policy
from web.admin import cemetery as cemetery_admin
from web.admin import marriage as marriage_admin
from web.analytics import recording
from web.analytics import views as analytics
from web.channels import admission, chat_page, cors, rest, socketio_channel, upload, wechat
from web.channels.ratelimit import Counted, ResidentRateLimit, as_json, as_page, limit_web_chat_by_address
from web.channels.web_senders import SocketTokens
from web.channels.wechat_nonces import UsedNonces
from web.channels.wechat_protocol import WechatConfig
from web.channels.wechat_service import WechatChannel
from web.feedback import views as feedback
from web.handbook import views as handbook_admin
from web.handoff import config as handoff_config
from web.identity import views as identity
from web.oncall import admin as oncall_admin
from web.policy import admin as policy_admin
from web.review import views as review
from web.services import Services
from web.subscriptions import views as subscription_pages
from web.texts.choices import Choices

BOT_THREADS = 32  # per process: conversations waiting on Rasa while WeChat already has its answer


def create_app(config: settings.Settings | None = None) -> Flask:
    config = config or settings.load()  # the web process's one read of its settings
    logging_setup.configure("web", config.log_level)
    services = Services.build(config)
    app = Flask(__name__)
    app.config["SECRET_KEY"] = config.secret_key
    # The session cookie (the console's sign-in, the web chat's page, the real-name pages): never sent with a
    # cross-site POST or sub-request (a top-level link still opens a page signed in), never read by scripts,
    # only over TLS when the public address is https. Flask defines these keys, so they are set, not defaulted.
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SECURE"] = config.public_base_url.startswith("https://")
    app.config["MAX_CONTENT_LENGTH"] = 256 * 1024
    error_pages.init_app(app)  # 404, 405, 500 in Chinese (a page, or JSON for data requests)
    database, redis_client = services.database, services.redis
    database.init_app(app)
    limiter = ResidentRateLimit(redis_client, config.resident_rate_limit)
    app.extensions["services"] = services
    app.extensions["redis"] = redis_client
    app.extensions["router"] = services.router
    app.extensions["outbound"] = services.outbound
    app.extensions["rate_limiter"] = limiter
    app.extensions["wechat_config"] = WechatConfig(
        config.wechat_token, config.wechat_app_id, config.wechat_encoding_aes_key, config.wechat_safe_mode
    )
    app.extensions["wechat_nonces"] = UsedNonces(redis_client)
    app.extensions["wechat_channel"] = WechatChannel(
        services.router,
        services.outbound,
        database.sessions,
        services.reply_ledger,
        limiter,
        Choices(redis_client),
        services.receipts,
        config.reply_budget_seconds,
        ThreadPoolExecutor(max_workers=BOT_THREADS, thread_name_prefix="wechat-bot"),
        windows=redis_client,
        photos=services.documents,
        media=services.wechat_api.get_media,
    )
    app.register_blueprint(
        health_blueprint({"database": database.ping, "redis": redis_client.ping, "rasa": services.rasa.ready})
    )
    metrics.init_app(app, database.sessions, redis_client)
    recording.listen(database.sessions)  # analytics' events, recorded for every session of the app
    policy.init_app(
        app, policy.PolicyDeps(services.registry, services.backoffice, services.links, services.outbound.enqueue)
    )
    addresses = limit_web_chat_by_address(  # the web chat's endpoints, per client address (not /wechat: WeChat's)
        app,
        config.redis_url,
        config.web_chat_address_limit,
        (
            Counted(rest.bp, as_json),
            Counted(chat_page.bp, as_page, ("POST",)),
            Counted(identity.bp, as_page),
            Counted(upload.bp, as_json),
        ),
    )
    app.register_blueprint(rest.bp)
    admission.admit(app, "rest_channel.receive", config.web_chat_slots)  # threads stay free for /wechat
    cors.init_app(app, config)  # widgets on CHAT_ALLOWED_ORIGINS' pages may call the resident channels
    app.register_blueprint(wechat.bp)
    app.register_blueprint(chat_page.bp)
    app.extensions["photos"] = services.documents  # residents' photos of documents (WeChat images, /chat uploads)
    app.register_blueprint(upload.bp)
    console.init_app(app, services.console, services.desk_events, database.sessions)
    # after-hours alerts queued once the desk commits; the desk's hours for the rota page's gaps
    oncall.init_app(app, services.alert_queue, database.sessions, handoff_config.opening)
    identity.init_app(app, config)  # /identity/: real-name verification pages
    subscription_pages.init_app(app, redis_client, services.wechat_api, config.wechat_app_id)  # /subscriptions/
    admin.init_app(  # /admin/: the landing page, navigation and labels, and every admin page (one list)
        app,
        pages=(
            analytics.bp,
            policy_admin.bp,
            handbook_admin.bp,
            review.bp,
            feedback.bp,
            oncall_admin.bp,
            marriage_admin.bp,
            cemetery_admin.bp,
        ),
        waiting=(review.WAITING, feedback.WAITING, policy_admin.WAITING, oncall_admin.WAITING),
    )
    if config.socketio_channel:  # /socket.io: Rasa's Socket.IO channel (rasa-webchat), in a process of its own
        socketio_channel.SocketChannel(
            services.router,
            SocketTokens(config.secret_key),
            limiter,
            addresses,
            redis_client,
            config.redis_url,
            socketio_channel.allowed(config.public_base_url, cors.allowed_origins(config)),
            config.web_chat_slots,
        ).mount(app)
    if config.trusted_proxies:  # behind TLS-terminating proxies: the client's address and scheme as they saw them
        n = config.trusted_proxies  # outermost, so /socket.io sees them too
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]
    danger_classifier.trained()  # the danger check reads every message before the bot: loaded now, not on the first
    return app
