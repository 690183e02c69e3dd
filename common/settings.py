"""Configuration read from environment variables only (12-factor).

Every process calls :func:`load` once at start-up; nothing else reads ``os.environ``.
The defaults are the ones ``make run`` uses (see README.md's table).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"


DEV_FLAG = "CIVIC_DEV"  # "1" on a developer's machine (`make run`, the tests): the secrets below are accepted
# The secrets' development values. A process refuses to start with one of them unless CIVIC_DEV=1
# (require_secrets), so a forgotten variable never leaves a forgeable session or token in production.
DEV_SECRETS = {
    "SECRET_KEY": "dev-only-secret-key-change-me",
    "RASA_TOKEN": "change-me-rasa-token",
    "ACTIONS_TOKEN": "change-me-actions-token",
    "BACKOFFICE_TOKEN": "change-me-backoffice-token",
    "WECHAT_TOKEN": "civic-demo-token",
    "WECHAT_APP_SECRET": "demo-app-secret",
    "OIDC_CLIENT_SECRET": "change-me-oidc-secret",
    "ALERT_GATEWAY_TOKEN": "change-me-alert-token",
    "IDP_SIGNING_KEY": "",  # the stand-in provider's development key, made in var/
}


class DevelopmentSecret(RuntimeError):
    """A process was started with a secret at its development value, outside development."""


def _env(name: str, default: str) -> str:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


@dataclass(frozen=True)
class Settings:
    database_url: str
    backoffice_database_url: str
    redis_url: str
    rasa_urls: tuple[str, ...]
    rasa_token: str  # Rasa's HTTP API and the platform channel (bot/channels/platform.py)
    backoffice_url: str
    backoffice_token: str
    secret_key: str
    wechat_token: str
    wechat_app_id: str
    wechat_app_secret: str
    wechat_encoding_aes_key: str
    wechat_api_base: str
    reply_budget_seconds: float
    log_level: str
    resident_rate_limit: int = 20  # messages per resident per minute, every channel
    registry_database_url: str = ""  # the resident registry (read-only); "" means the back-office database
    celery_visibility_timeout: int = 3600  # seconds before a dead worker's unacknowledged task is redelivered
    public_base_url: str = "http://127.0.0.1:8000"  # how residents' browsers reach web (links in template messages)
    trusted_proxies: int = 0  # reverse proxies in front of web whose X-Forwarded-* headers are believed
    web_chat_address_limit: str = "60/minute"  # web chat requests per client address (0: none; ratelimit.py)
    web_chat_slots: int = 4  # web chat turns at a time per web process, below gunicorn's --threads (admission.py)
    retention_days: int = 180  # transcripts and residents' personal data are deleted or anonymised after this
    audit_retention_days: int = 365  # the audit log; the Cybersecurity Law (art. 21) asks for at least six months
    idp_issuer: str = "http://127.0.0.1:8100/idp"  # the identity provider (OpenID Connect issuer) residents sign in at
    oidc_client_id: str = "civic-platform"  # the platform, as the provider's relying party
    oidc_client_secret: str = DEV_SECRETS["OIDC_CLIENT_SECRET"]
    idp_signing_key: str = ""  # the stand-in provider's RSA key (PEM); "" in development: var/idp_signing_key.pem
    wechat_open_base: str = "https://open.weixin.qq.com"  # WeChat's web authorisation pages (网页授权)
    wechat_daily_quota: str = "template=100000,subscribe=100000"  # messages a day per kind (daily_quota.py)
    wechat_safe_mode: str = ""  # strict (the default with an AES key: plaintext refused) or compatible (兼容模式)
    demo_mode: bool = False  # make run's demo region: the SMS stand-in's page shows the codes it "sent"
    alert_gateway_url: str = "http://127.0.0.1:8400"  # the SMS/voice gateway of the on-call route (docs/handoff.md)
    alert_gateway_token: str = DEV_SECRETS["ALERT_GATEWAY_TOKEN"]
    actions_token: str = DEV_SECRETS["ACTIONS_TOKEN"]  # Rasa → the action server (bot/endpoints.yml)
    development: bool = False  # CIVIC_DEV=1: the development secrets are accepted
    chat_allowed_origins: tuple[str, ...] = ()  # other sites' pages whose widgets may call the web chat (cors.py)
    socketio_channel: bool = False  # SOCKETIO_CHANNEL=1: this process serves /socket.io (socketio_channel.py)
    document_store: str = str(VAR / "documents")  # residents' document photos: a directory or s3://bucket/prefix
    s3_endpoint_url: str = ""  # an S3-compatible store that is not AWS (MinIO, …); credentials: boto3's own chain
    document_max_bytes: int = 10 * 1024 * 1024  # the largest document file taken (WeChat's own image limit)
    clamd_address: str = ""  # host:port of ClamAV's clamd, scanning every document; "" means not scanned

    @property
    def registry_url(self) -> str:
        return self.registry_database_url or self.backoffice_database_url


def load() -> Settings:
    return Settings(
        database_url=_env("DATABASE_URL", f"sqlite:///{VAR / 'platform.db'}"),
        backoffice_database_url=_env("BACKOFFICE_DATABASE_URL", f"sqlite:///{VAR / 'backoffice.db'}"),
        redis_url=_env("REDIS_URL", "redis://127.0.0.1:6379/0"),
        rasa_urls=tuple(
            u.strip().rstrip("/") for u in _env("RASA_URL", "http://127.0.0.1:5005").split(",") if u.strip()
        ),
        rasa_token=_env("RASA_TOKEN", DEV_SECRETS["RASA_TOKEN"]),
        backoffice_url=_env("BACKOFFICE_URL", "http://127.0.0.1:8100").rstrip("/"),
        backoffice_token=_env("BACKOFFICE_TOKEN", DEV_SECRETS["BACKOFFICE_TOKEN"]),
        secret_key=_env("SECRET_KEY", DEV_SECRETS["SECRET_KEY"]),
        wechat_token=_env("WECHAT_TOKEN", DEV_SECRETS["WECHAT_TOKEN"]),
        wechat_app_id=_env("WECHAT_APP_ID", "wx0000000000demo"),
        wechat_app_secret=_env("WECHAT_APP_SECRET", DEV_SECRETS["WECHAT_APP_SECRET"]),
        wechat_encoding_aes_key=_env("WECHAT_ENCODING_AES_KEY", ""),
        wechat_api_base=_env("WECHAT_API_BASE", "https://api.weixin.qq.com").rstrip("/"),
        reply_budget_seconds=float(_env("WECHAT_REPLY_BUDGET", "4.0")),
        log_level=_env("LOG_LEVEL", "INFO"),
        retention_days=int(_env("RETENTION_DAYS", "180")),
        audit_retention_days=max(180, int(_env("AUDIT_RETENTION_DAYS", "365"))),
        registry_database_url=_env("REGISTRY_DATABASE_URL", ""),
        celery_visibility_timeout=int(_env("CELERY_VISIBILITY_TIMEOUT", "3600")),
        public_base_url=_env("PUBLIC_BASE_URL", "http://127.0.0.1:" + _env("WEB_PORT", "8000")).rstrip("/"),
        resident_rate_limit=int(_env("RESIDENT_RATE_LIMIT", "20")),
        trusted_proxies=int(_env("TRUSTED_PROXIES", "0")),
        web_chat_address_limit=_env("WEB_CHAT_ADDRESS_LIMIT", "60/minute"),
        web_chat_slots=max(1, int(_env("WEB_CHAT_SLOTS", "4"))),
        idp_issuer=_env("IDP_ISSUER", "http://127.0.0.1:" + _env("BACKOFFICE_PORT", "8100") + "/idp").rstrip("/"),
        oidc_client_id=_env("OIDC_CLIENT_ID", "civic-platform"),
        oidc_client_secret=_env("OIDC_CLIENT_SECRET", DEV_SECRETS["OIDC_CLIENT_SECRET"]),
        idp_signing_key=_env("IDP_SIGNING_KEY", DEV_SECRETS["IDP_SIGNING_KEY"]),
        wechat_open_base=_env("WECHAT_OPEN_BASE", "https://open.weixin.qq.com").rstrip("/"),
        wechat_safe_mode=_env("WECHAT_SAFE_MODE", "").lower(),
        wechat_daily_quota=_env("WECHAT_DAILY_QUOTA", "template=100000,subscribe=100000"),
        demo_mode=_env("DEMO_MODE", "0") in ("1", "true", "yes"),
        alert_gateway_url=_env("ALERT_GATEWAY_URL", "http://127.0.0.1:8400").rstrip("/"),
        alert_gateway_token=_env("ALERT_GATEWAY_TOKEN", DEV_SECRETS["ALERT_GATEWAY_TOKEN"]),
        actions_token=_env("ACTIONS_TOKEN", DEV_SECRETS["ACTIONS_TOKEN"]),
        development=_env(DEV_FLAG, "0") == "1",
        socketio_channel=_env("SOCKETIO_CHANNEL", "0") == "1",
        document_store=_env("DOCUMENT_STORE", str(VAR / "documents")),
        s3_endpoint_url=_env("S3_ENDPOINT_URL", ""),
        document_max_bytes=int(_env("DOCUMENT_MAX_BYTES", str(10 * 1024 * 1024))),
        clamd_address=_env("CLAMD_ADDRESS", ""),
        chat_allowed_origins=tuple(
            o.strip().rstrip("/") for o in _env("CHAT_ALLOWED_ORIGINS", "").split(",") if o.strip()
        ),
    )


def require_secrets(config: Settings, *variables: str) -> None:
    """Refuse to start when one of ``variables`` (names in DEV_SECRETS) still has its development
    value, unless CIVIC_DEV=1. Each process names the secrets it uses."""
    if config.development:
        return
    left = [var for var in variables if getattr(config, var.lower()) == DEV_SECRETS[var]]
    if left:
        raise DevelopmentSecret(
            f"{', '.join(left)} not set (or still the development value): set "
            f"{'it' if len(left) == 1 else 'them'} to long random values (docs/deployment.md), "
            f"or {DEV_FLAG}=1 on a developer's machine"
        )
