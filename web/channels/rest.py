"""`POST /webhooks/rest/webhook`: Rasa's REST-channel format, so existing Rasa chat widgets work.

The sender is the body's ``sender`` (anonymous, ``web:<sender>``), or, for the /chat page, the
one its signed ``X-Chat-Token`` names (web/channels/web_senders.py); a body may not name a page's.
Errors keep the platform's shape (``{"error", "message"}`` with a 4xx status), which
Rasa widgets show as a failed request; the /chat page shows ``message``.
"""

from __future__ import annotations

from contextlib import suppress
from typing import NoReturn

import redis
from flask import Blueprint, abort, current_app, jsonify, make_response, request

from common.plain_text import is_name, plain
from web.channels import web_senders
from web.channels.web_senders import sender_id
from web.conversations.router import Inbound
from web.texts import text as channel_text
from web.texts import wechat_text
from web.texts.choices import Choices, as_sent_from_web

bp = Blueprint("rest_channel", __name__)

MAX_TEXT = 2000
MAX_SENDER = 64


def _refuse(status: int, error: str, message: str) -> NoReturn:
    abort(make_response(jsonify(error=error, message=message), status))


def _sender(payload: dict) -> str:
    """The sender this request speaks as (the request is refused when it may not speak as any)."""
    token = request.headers.get("X-Chat-Token")
    if token is not None:
        return current_app.extensions["services"].page_tokens.sender(token) or _refuse(
            403, "forbidden", "会话已失效，请刷新页面"
        )
    sender = payload.get("sender")
    if not isinstance(sender, str) or not sender.strip() or len(sender) > MAX_SENDER:
        _refuse(400, "bad_request", "需要 sender 和 message 两个字段")
    if not is_name(sender):  # it names a conversation: refused, never changed
        _refuse(400, "bad_request", "sender 里不能有控制字符（如 \\u0000）")
    if web_senders.is_server_made(sender.strip()):
        _refuse(403, "forbidden", "这个会话要在聊天页面里继续，请刷新页面")
    return sender.strip()


@bp.post("/webhooks/rest/webhook")
def receive():
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        return jsonify(error="bad_request", message="请求内容不是有效的 JSON"), 400
    sender = _sender(payload)
    message = payload.get("message")
    if not isinstance(message, str):
        return jsonify(error="bad_request", message="需要 sender 和 message 两个字段"), 400
    message = plain(message)  # control characters nobody typed are dropped before anything runs
    if len(message) > MAX_TEXT:
        return jsonify(error="too_long", message=f"一条消息最多 {MAX_TEXT} 个字，请分几次发送"), 413
    if not message.strip():
        return jsonify([])
    if not current_app.extensions["rate_limiter"].allow(sender_id(sender)):
        return jsonify(error="rate_limited", message=channel_text("rate_limited")), 429
    said = message.strip()
    with suppress(redis.RedisError):  # the answer to "which document is this photo?" (web/channels/upload.py)
        if told := current_app.extensions["photos"].answer("web", sender_id(sender), said):
            return jsonify([{"recipient_id": sender, "text": told}])
    choices = Choices(current_app.extensions["redis"])  # a bare number picks a button of the last turn, as on WeChat
    try:
        picked = choices.resolve(sender_id(sender), said)
    except redis.RedisError:  # without Redis a number is just text
        picked = None
    sent = picked or as_sent_from_web(said)
    replies = current_app.extensions["router"].handle(
        Inbound("web", sender_id(sender), sent, transcript=said if sent != said else None)
    )
    with suppress(redis.RedisError):
        choices.remember(sender_id(sender), wechat_text.last_buttons(replies))
    return jsonify([r.to_rest(sender) for r in replies])
