"""`POST /webhooks/rest/webhook`: Rasa's REST-channel format, so existing Rasa chat widgets work."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from web.conversations.router import Inbound

bp = Blueprint("rest_channel", __name__)

MAX_TEXT = 2000


@bp.post("/webhooks/rest/webhook")
def receive():
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        return jsonify(error="bad_request", message="请求内容不是有效的 JSON"), 400
    sender, message = payload.get("sender"), payload.get("message")
    if not isinstance(sender, str) or not sender.strip() or len(sender) > 64 or not isinstance(message, str):
        return jsonify(error="bad_request", message="需要 sender 和 message 两个字段"), 400
    if len(message) > MAX_TEXT:
        return jsonify(error="too_long", message=f"一条消息最多 {MAX_TEXT} 个字，请分几次发送"), 413
    sender_id = "web:" + sender.strip()
    replies = current_app.extensions["router"].handle(Inbound("web", sender_id, message.strip()))
    return jsonify([r.to_rest(sender.strip()) for r in replies])
