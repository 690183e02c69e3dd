"""`/chat`: the web chat page for residents without WeChat, its mailbox, and its sign-in state.

The page talks to `POST /webhooks/rest/webhook` like any Rasa widget, with its signed token
(``X-Chat-Token``; web/channels/web_senders.py). This browser's page sender is kept in Flask's
signed session cookie (until the browser closes: the cookie is the console's too, and a staff login
must not be stretched by a visit to /chat), so a reload or a trip to the identity provider comes
back to the same conversation. Messages that come later (an agent's answer, the conversation carried on after
实名认证) are in the conversation's mailbox; the page polls `GET /chat/messages`.

A page signed in at the identity provider (web/identity/views.py) shows whose it is (masked) and
offers 退出登录: the binding is removed and the browser gets a new, anonymous conversation, so the
next person at a shared computer starts afresh.
"""

from __future__ import annotations

import re
import time

from flask import Blueprint, current_app, jsonify, redirect, render_template, request, session

from common.backoffice_client import BackofficeError, BackofficeUnavailable
from web.admin import guard
from web.channels.web_senders import (
    SESSION_PAGE,
    SESSION_SIGNED_IN,
    is_page_sender,
    new_page_sender,
    sender_id,
)
from web.outbound.mailbox import Mailbox

bp = Blueprint(
    "chat_page", __name__, static_folder="static", static_url_path="/chat/static"
)  # template: web/templates/chat/

_ENTRY_ID = re.compile(r"^\d{1,18}$")


def _page_sender() -> str:
    """This browser's page sender, made on its first visit."""
    sender = session.get(SESSION_PAGE)
    if not isinstance(sender, str) or not is_page_sender(sender):
        sender = session[SESSION_PAGE] = new_page_sender()
        session.pop(SESSION_SIGNED_IN, None)
    return sender


def _signed_in_as() -> str | None:
    """The masked name this page is signed in as, while its sign-in lasts."""
    signed = session.get(SESSION_SIGNED_IN)
    if isinstance(signed, dict) and signed.get("until", 0) > time.time():
        return str(signed.get("name") or "")
    return None


@bp.get("/chat")
def page():
    sender = _page_sender()
    return render_template(
        "chat/chat.html",
        sender=sender,
        token=current_app.extensions["services"].page_tokens.issue(sender),
        signed_in_as=_signed_in_as(),
    )


@bp.post("/chat/signout")
def sign_out():
    guard.check_csrf(again="请刷新聊天页面后再点一次“退出登录”。")
    sender = session.get(SESSION_PAGE)
    if isinstance(sender, str) and is_page_sender(sender):
        try:
            current_app.extensions["services"].backoffice.delete(f"/identity/bindings/{sender_id(sender)}")
        except BackofficeError:
            pass  # not bound (any more)
        except BackofficeUnavailable:
            return render_template(
                "identity/message.html", title="没能退出", message="系统暂时有点忙，请过几分钟再点一次“退出登录”。"
            ), 503
    session.pop(SESSION_PAGE, None)
    session.pop(SESSION_SIGNED_IN, None)
    return redirect("/chat")


@bp.get("/chat/messages")
def messages():
    sender = current_app.extensions["services"].page_tokens.sender(request.headers.get("X-Chat-Token", ""))
    if sender is None:
        return jsonify(error="forbidden", message="会话已失效，请刷新页面"), 403
    after = request.args.get("after") or None
    if after is not None and not _ENTRY_ID.match(after):
        return jsonify(error="bad_request", message="after 参数不正确"), 400
    entries = Mailbox(current_app.extensions["database"].sessions).after(
        sender_id(sender), int(after) if after else None
    )
    return jsonify(messages=[{"id": entry_id, **payload} for entry_id, payload in entries])
