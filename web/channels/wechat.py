"""`GET/POST /wechat`: the Official Account callback (HTTP only; the work is in wechat_service)."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, current_app, request

from web.channels import wechat_protocol as proto
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


def _rejected(exc: proto.Rejected) -> Response:
    log.warning("wechat request rejected", extra={"reason": exc.reason, "status": exc.status})
    return Response(exc.reason, status=exc.status, mimetype="text/plain")


@bp.get("/wechat")
def verify():
    try:
        return Response(proto.verify_url(_config(), _query(), request.args.get("echostr", "")), mimetype="text/plain")
    except proto.Rejected as exc:
        return _rejected(exc)


@bp.post("/wechat")
def receive():
    q = _query()
    try:
        incoming = proto.open_message(_config(), q, request.get_data(cache=False))
    except proto.Rejected as exc:
        return _rejected(exc)
    channel: WechatChannel = current_app.extensions["wechat_channel"]
    text = channel.answer(incoming)
    if not text:
        return Response("success", mimetype="text/plain")
    return Response(proto.render_text_reply(_config(), q, incoming, text), mimetype="application/xml")
