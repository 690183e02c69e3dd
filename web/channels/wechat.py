"""`GET/POST /wechat`: the Official Account callback (HTTP only; the work is in wechat_service)."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, current_app, request

from web.channels import wechat_protocol as proto
from web.channels.wechat_nonces import VERIFY, UsedNonces
from web.channels.wechat_service import WechatChannel

log = logging.getLogger(__name__)
bp = Blueprint("wechat_channel", __name__)


def _query() -> proto.Query:
    a = request.args
    return proto.Query(
        a.get("signature", ""),
        a.get("timestamp", ""),
        a.get("nonce", ""),
        a.get("msg_signature"),
        a.get("encrypt_type"),
    )


def _config() -> proto.WechatConfig:
    return current_app.extensions["wechat_config"]


def _nonces() -> UsedNonces:
    return current_app.extensions["wechat_nonces"]


def _rejected(exc: proto.Rejected) -> Response:
    log.warning("wechat request rejected", extra={"reason": exc.reason, "status": exc.status})
    return Response(exc.reason, status=exc.status, mimetype="text/plain")


@bp.get("/wechat")
def verify():
    q = _query()
    try:
        echostr = proto.verify_url(_config(), q, request.args.get("echostr", ""))
        _nonces().check(q, VERIFY)
        return Response(echostr, mimetype="text/plain")
    except proto.Rejected as exc:
        return _rejected(exc)


@bp.post("/wechat")
def receive():
    q = _query()
    try:
        incoming = proto.open_message(_config(), q, request.get_data(cache=False))
        redis_up = _nonces().check(q, incoming.dedupe_key)
    except proto.Rejected as exc:
        return _rejected(exc)
    channel: WechatChannel = current_app.extensions["wechat_channel"]
    text = channel.answer(incoming, redis_up)
    if not text:
        return Response("success", mimetype="text/plain")
    return Response(proto.render_text_reply(_config(), q, incoming, text), mimetype="application/xml")
