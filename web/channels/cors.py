"""Cross-origin access to the resident channels: the one allow-list (``CHAT_ALLOWED_ORIGINS``).

A bureau embeds a chat widget on its own portal, whose origin is never the assistant's host, so the
browser asks first (a preflight ``OPTIONS``: ``Content-Type: application/json`` is not a "simple"
request). Only the origins on the list get ``Access-Control-Allow-Origin`` (exactly their own; ``Vary: Origin``
when the list has several); any other origin gets no such header and the browser refuses the response.
No credentials are ever allowed cross-origin (the resident channels do not read cookies), and ``*``
is refused at start: the list names sites. The console, /admin/, /metrics and /wechat get no CORS
headers at all: only the paths in :data:`RESIDENT_PATHS` (and what another channel passes the list
to, e.g. a Socket.IO server's ``cors_allowed_origins``) are opened.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask
from flask_cors import CORS

from common.settings import Settings

RESIDENT_PATHS = ("/webhooks/rest/webhook",)  # exact paths, not prefixes


class BadOrigin(ValueError):
    """An entry of CHAT_ALLOWED_ORIGINS is not an origin (scheme://host[:port])."""


def allowed_origins(config: Settings) -> tuple[str, ...]:
    """The origins whose pages may call the resident channels; every channel reads the list here."""
    for origin in config.chat_allowed_origins:
        parts = urlsplit(origin)
        if (
            parts.scheme not in ("http", "https")
            or not parts.hostname
            or parts.path
            or parts.query
            or parts.fragment
            or parts.username
            or any(c in origin for c in "*\\]?$^[]()")  # Flask-Cors would read such an entry as a pattern
        ):
            raise BadOrigin(f"CHAT_ALLOWED_ORIGINS: {origin!r} is not an origin like https://www.example.gov.cn")
    return config.chat_allowed_origins


def init_app(app: Flask, config: Settings) -> None:
    """Answer preflights and add the CORS headers on the resident paths, for the allowed origins only."""
    origins = allowed_origins(config)
    if not origins:
        return  # same-origin only: the /chat page needs no CORS
    CORS(
        app,
        resources={f"^{path}$": {} for path in RESIDENT_PATHS},
        origins=list(origins),
        methods=["POST", "OPTIONS"],
        allow_headers=["Content-Type"],
        supports_credentials=False,
        max_age=600,
        vary_header=True,
    )
