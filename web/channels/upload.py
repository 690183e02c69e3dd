"""`POST /chat/documents`: a photo or PDF of a document from the /chat page (multipart, field ``file``).

Only a page the server signed may send one (``X-Chat-Token``): documents belong to a verified
resident's applications, and only such a page can be signed in. The file goes where a WeChat
image goes (web/documents/intake.Intake); the answer is in the REST channel's format.
"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

from web.channels.web_senders import sender_id
from web.channels.wechat_service import Photos
from web.texts import text as channel_text

bp = Blueprint("chat_upload", __name__)
FORM_OVERHEAD = 64 * 1024  # the multipart envelope around the file


@bp.post("/chat/documents")
def upload():
    token = request.headers.get("X-Chat-Token", "")
    sender = current_app.extensions["services"].page_tokens.sender(token) if token else None
    if sender is None:
        return jsonify(error="forbidden", message="会话已失效，请刷新页面"), 403
    photos: Photos = current_app.extensions["photos"]
    request.max_content_length = photos.max_bytes + FORM_OVERHEAD  # the app's limit is for text messages
    try:
        sent = request.files.get("file")
    except RequestEntityTooLarge:
        return jsonify(error="too_large", message=photos.too_large), 413
    if sent is None:
        return jsonify(error="bad_request", message="没有收到文件，请重新选一张照片"), 400
    if not current_app.extensions["rate_limiter"].allow(sender_id(sender)):
        return jsonify(error="rate_limited", message=channel_text("rate_limited")), 429
    reply = photos.photo("web", sender_id(sender), sent.read(photos.max_bytes + 1))
    return jsonify([{"recipient_id": sender, "text": reply}])
