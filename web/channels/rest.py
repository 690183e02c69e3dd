"""`POST /webhooks/rest/webhook`: Rasa's REST-channel format, so existing Rasa chat widgets work.

Errors keep the platform's shape (``{"error", "message"}`` with a 4xx status), which
Rasa widgets show as a failed request; the /chat page shows ``message``.
"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from web.conversations.router import Inbound
from web.texts import text as channel_text
from web.texts.choices import as_sent_from_web

bp = Blueprint("rest_channel", __name__)

MAX_TEXT = 2000
MAX_SENDER = 64
PREFIX = "web:"


def sender_id(sender: str) -> str:
    """The conversation's sender id for a REST sender (``web:`` keeps it apart from WeChat openids)."""
    return PREFIX + sender


@bp.post("/webhooks/rest/webhook")
def receive():
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        return jsonify(error="bad_request", message="请求内容不是有效的 JSON"), 400
    sender, message = payload.get("sender"), payload.get("message")
    if not isinstance(sender, str) or not sender.strip() or len(sender) > MAX_SENDER or not isinstance(message, str):
        return jsonify(error="bad_request", message="需要 sender 和 message 两个字段"), 400
    if len(message) > MAX_TEXT:
        return jsonify(error="too_long", message=f"一条消息最多 {MAX_TEXT} 个字，请分几次发送"), 413
    sender = sender.strip()
    if not message.strip():
        return jsonify([])
    if not current_app.extensions["rate_limiter"].allow(sender_id(sender)):
        return jsonify(error="rate_limited", message=channel_text("rate_limited")), 429
    said = message.strip()
    sent = as_sent_from_web(said)
    replies = current_app.extensions["router"].handle(
        Inbound("web", sender_id(sender), sent, transcript=said if sent != said else None)
    )
    return jsonify([r.to_rest(sender) for r in replies])
