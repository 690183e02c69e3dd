"""Rate limits: per resident (every channel) and per client address (the web chat), counted in Redis
across all web processes.

``ResidentRateLimit``: at most N messages a minute per sender. Without Redis nobody is limited: a
resident is never turned away because the counter is down.

``limit_web_chat_by_address``: the web chat's sender is the client's choice (a REST body names
it), so a client could write under a new name each time; the web chat's endpoints therefore also
count requests per client address (Flask-Limiter on the same Redis). The address is
``request.remote_addr``: the proxy's own address unless ``TRUSTED_PROXIES`` says how many proxies'
``X-Forwarded-For`` to believe (ProxyFix in web/app.py), so a client cannot pick its address either;
an IPv6 client counts by its /64, which a single subscriber usually holds whole. Without Redis the
count goes on in each process's memory: it never refuses a request the shared count would have let
through, so a Redis outage still loses no message. ``/wechat`` is not counted (WeChat's servers are
a few addresses; each resident there is limited per openid). The Socket.IO channel's messages come
without a Flask request of their own: ``AddressLimit`` counts them on the same counter, so an address
has one budget over every web chat channel.
"""

from __future__ import annotations

import ipaddress
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import redis
from flask import Blueprint, Flask, Response, jsonify, render_template, request
from flask_limiter import Limiter, RequestLimit
from limits import RateLimitItem, parse_many

from common.redis_client import COMMAND_TIMEOUT, CONNECT_TIMEOUT
from web.texts import text as channel_text

log = logging.getLogger(__name__)


class ResidentRateLimit:
    """A fixed one-minute window per sender (``INCR`` + ``EXPIRE``), shared by every process."""

    def __init__(self, client: redis.Redis, per_minute: int, window: int = 60) -> None:
        self.redis, self.limit, self.window = client, per_minute, window

    def allow(self, sender_id: str) -> bool:
        if self.limit <= 0:
            return True
        key = f"ratelimit:{sender_id}:{int(time.time()) // self.window}"
        pipe = self.redis.pipeline()
        pipe.incr(key)
        pipe.expire(key, self.window * 2)
        try:
            count, _ = pipe.execute()
        except redis.RedisError as exc:
            log.warning("rate limit not checked, redis unavailable", extra={"error": type(exc).__name__})
            return True
        return int(count) <= self.limit


SCOPE, KEY_PREFIX = "web-chat", "web-chat-address"  # the counted blueprints' shared limit, in Redis


def address_of(address: str | None) -> str:
    """The address to count a client's web chat requests against (IPv6: its /64)."""
    address = address or ""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:  # ::ffff:a.b.c.d is the IPv4 client a.b.c.d
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def client_address() -> str:
    """The address to count this web chat request against."""
    return address_of(request.remote_addr)


def _retry_after(limit: RequestLimit) -> str:
    return str(max(1, min(limit.reset_at - int(time.time()), limit.limit.get_expiry())))


def as_json(limit: RequestLimit) -> Response:
    """The REST channel's error shape, which the /chat page and Rasa widgets show."""
    resp = jsonify(error="rate_limited", message=channel_text("address_limited"))
    resp.status_code, resp.headers["Retry-After"] = 429, _retry_after(limit)
    return resp


def as_page(limit: RequestLimit) -> Response:
    """The pages a resident opens (sign-in, sign-out): the identity pages' message page."""
    page = render_template("identity/message.html", title="请稍等一会儿", message=channel_text("address_limited"))
    return Response(page, status=429, headers={"Retry-After": _retry_after(limit)})


@dataclass(frozen=True)
class Counted:
    """A blueprint whose requests (``methods``; None: all) count against the address's limit."""

    blueprint: Blueprint
    answer: Callable[[RequestLimit], Response]  # what a request over the limit gets
    methods: tuple[str, ...] | None = None


class AddressLimit:
    """The per-address count for a web chat message that is not a Flask request (a Socket.IO
    ``user_uttered``): a hit on the counted blueprints' own counter (Flask-Limiter's shared limit
    keys it by prefix, address and scope), so REST requests and Socket.IO messages share one budget."""

    def __init__(self, limiter: Limiter | None, limit: str) -> None:
        self.limiter = limiter
        self.items: list[RateLimitItem] = sorted(parse_many(limit)) if limiter is not None else []

    def allow(self, address: str | None) -> bool:
        if self.limiter is None:
            return True
        key = address_of(address)
        try:
            return all(self.limiter.limiter.hit(item, KEY_PREFIX, key, SCOPE) for item in self.items)
        except Exception as exc:  # Redis down, or anything else wrong with the count: the message goes through
            log.warning("address limit not checked", extra={"error": type(exc).__name__})
            return True


def limit_web_chat_by_address(app: Flask, redis_url: str, limit: str, counted: tuple[Counted, ...]) -> AddressLimit:
    """At most ``limit`` requests per client address (Flask-Limiter's notation, e.g. ``60/minute``;
    ``0``: none) to all the ``counted`` blueprints together. Call before registering them. Returns
    the same count for messages that come another way (the Socket.IO channel)."""
    if limit.strip() in ("", "0"):
        return AddressLimit(None, limit)
    parse_many(limit)  # a mistyped WEB_CHAT_ADDRESS_LIMIT stops the start, not the first resident
    # Its INFO line per refusal names the address; refusals are counted in http_requests_total (429)
    logging.getLogger("flask-limiter").setLevel(logging.WARNING)
    limiter = Limiter(
        client_address,
        app=app,
        storage_uri=redis_url,
        storage_options={"socket_connect_timeout": CONNECT_TIMEOUT, "socket_timeout": COMMAND_TIMEOUT},
        strategy="fixed-window",  # as ResidentRateLimit: one counter per address and window
        key_prefix=KEY_PREFIX,
        in_memory_fallback_enabled=True,  # Redis down: each process counts on its own (never stricter)
        swallow_errors=True,  # anything else wrong with the count: the request goes through
    )
    for c in counted:
        methods = list(c.methods) if c.methods else None
        limiter.shared_limit(limit, scope=SCOPE, on_breach=c.answer, methods=methods)(c.blueprint)
    return AddressLimit(limiter, limit)
