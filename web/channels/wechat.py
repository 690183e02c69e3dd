"""`GET/POST /wechat`: the Official Account callback."""
from __future__ import annotations

import logging

from flask import Blueprint, Response, current_app, request

from web.channels import wechat_protocol as proto
from web.conversations.router import Inbound
from web.rasa_client import BotMessage

log = logging.getLogger(__name__)
bp = Blueprint("wechat_channel", __name__)

NON_TEXT_REPLY = "您好，我现在能看懂文字和语音。请直接打字或者按住说话告诉我您想办什么事，比如“预约结婚登记”“申请低保”“附近的长者食堂”。"
NO_RECOGNITION = "不好意思，这条语音我没有听清楚。您可以再说一遍，或者直接打字告诉我。"


def _query() -> proto.Query:
    a = request.args
    return proto.Query(a.get("signature", ""), a.get("timestamp", ""), a.get("nonce", ""),
                       a.get("msg_signature"), a.get("encrypt_type"))


def _config() -> proto.WechatConfig:
    return current_app.extensions["wechat_config"]


def render_replies(replies: list[BotMessage]) -> str:
    """Join a bot turn into one passive text; buttons become numbered choices."""
    parts: list[str] = []
    for reply in replies:
        text = reply.text
        if reply.buttons:
            text += "\n" + "\n".join(f"{i}. {b.title}" for i, b in enumerate(reply.buttons, 1))
        if text:
            parts.append(text)
    return "\n\n".join(parts)


@bp.get("/wechat")
def verify():
    try:
        return Response(proto.verify_url(_config(), _query(), request.args.get("echostr", "")), mimetype="text/plain")
    except proto.Rejected as exc:
        log.warning("wechat verification rejected", extra={"reason": exc.reason})
        return Response(exc.reason, status=exc.status, mimetype="text/plain")


@bp.post("/wechat")
def receive():
    q = _query()
    try:
        message = proto.open_message(_config(), q, request.get_data(cache=False))
    except proto.Rejected as exc:
        log.warning("wechat message rejected", extra={"reason": exc.reason})
        return Response(exc.reason, status=exc.status, mimetype="text/plain")
    if message.type == "text":
        text = message.content or ""
    elif message.type == "voice":
        text = getattr(message, "recognition", None) or ""
        if not text:
            return _reply(q, message, NO_RECOGNITION)
    else:
        return _reply(q, message, NON_TEXT_REPLY)
    replies = current_app.extensions["router"].handle(Inbound("wechat", message.source, text.strip()))
    body = render_replies(replies)
    return _reply(q, message, body) if body else Response("success", mimetype="text/plain")


def _reply(q: proto.Query, message, text: str) -> Response:
    return Response(proto.render_text_reply(_config(), q, message, text), mimetype="application/xml")
