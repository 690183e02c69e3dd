"""`/chat`: the web chat page for residents without WeChat, and its mailbox for later messages.

The page talks to `POST /webhooks/rest/webhook` like any Rasa widget. Messages that
come later (an agent's answer, a notification) are in the conversation's mailbox;
the page polls `GET /chat/messages`. Each page gets a random sender id and a token
signed with SECRET_KEY for it, so only that page can read that mailbox.
"""

from __future__ import annotations

import re
import uuid

from flask import Blueprint, current_app, jsonify, render_template, request
from itsdangerous import BadSignature, URLSafeSerializer

from web.channels.rest import sender_id
from web.outbound.mailbox import Mailbox

bp = Blueprint(
    "chat_page", __name__, static_folder="static", static_url_path="/chat/static"
)  # template: web/templates/chat/

_ENTRY_ID = re.compile(r"^\d{1,18}$")


def _signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="web-chat")


@bp.get("/chat")
def page():
    sender = uuid.uuid4().hex
    return render_template("chat/chat.html", sender=sender, token=_signer().dumps(sender))


@bp.get("/chat/messages")
def messages():
    try:
        sender = _signer().loads(request.headers.get("X-Chat-Token", ""))
    except BadSignature:
        return jsonify(error="forbidden", message="会话已失效，请刷新页面"), 403
    after = request.args.get("after") or None
    if after is not None and not _ENTRY_ID.match(after):
        return jsonify(error="bad_request", message="after 参数不正确"), 400
    entries = Mailbox(current_app.extensions["database"].sessions).after(
        sender_id(sender), int(after) if after else None
    )
    return jsonify(messages=[{"id": entry_id, **payload} for entry_id, payload in entries])
