"""The verification pages a resident opens from the chat or the menu (我的 → 实名认证).

From a chat link: ``/identity/bind/<token>`` → WeChat's web authorisation (which openid holds
the phone) → the identity provider's sign-in → ``/identity/callback``: the back-office binds
that openid to the resident the ID token names, and the conversation that asked carries on.
From the menu: ``/identity/`` shows whether this WeChat is bound, and to whom (masked), with
解除绑定 and 重新认证. The openid only ever comes from WeChat, the resident only from the
provider's ID token: nothing the page or the chat says is taken for an identity.

The web chat (/chat) signs in the same way without WeChat's step: the sender bound is the page's
(web/channels/web_senders.py), taken from this browser's session cookie, never from the link, so a
link forwarded to someone else's browser binds nothing. A page's binding lasts
``SIGNED_IN_SECONDS``; then, or at 退出登录, the page is anonymous again.
"""

from __future__ import annotations

import logging
import secrets
import time
from dataclasses import asdict

from authlib.integrations.base_client import OAuthError
from authlib.integrations.flask_client import OAuth
from flask import Blueprint, Flask, current_app, redirect, render_template, request, session

from common.backoffice_client import BackofficeClient, BackofficeError, BackofficeUnavailable
from common.masking import mask_text
from common.settings import Settings
from web.admin import guard
from web.admin.guard import check_csrf
from web.channels.web_senders import (
    SESSION_PAGE,
    SESSION_SIGNED_IN,
    SIGNED_IN_SECONDS,
    is_page_sender,
    is_signed_page,
    sender_id,
)
from web.identity import resume
from web.identity.links import VerifyRequest
from web.identity.wechat_oauth import WechatWebAuth

log = logging.getLogger(__name__)
bp = Blueprint("identity", __name__, url_prefix="/identity")
REQUEST, OPENID, STATE = "identity_request", "identity_openid", "identity_wechat_state"
SIGNING_IN = "identity_signing_in"  # the sender the sign-in at the provider is for


def _config() -> Settings:
    return current_app.extensions["services"].config


def _backoffice() -> BackofficeClient:
    return current_app.extensions["services"].backoffice


def _sorry(message: str, status: int = 400):
    return render_template("identity/message.html", title="没能完成认证", message=message), status


def _wechat(state: str = "") -> WechatWebAuth:
    config = _config()
    return WechatWebAuth(
        config.wechat_app_id,
        config.wechat_app_secret,
        f"{config.public_base_url}/identity/wechat",
        state,
        config.wechat_api_base,
        config.wechat_open_base,
    )


def _to_wechat():
    """Ask WeChat which openid holds this phone (``snsapi_base``: no prompt, WeChat redirects back at once)."""
    session[STATE] = secrets.token_urlsafe(16)
    return redirect(_wechat(session[STATE]).authorize_url)


def _this_browsers_page() -> str | None:
    """The conversation id of this browser's /chat page, if it has one."""
    sender = session.get(SESSION_PAGE)
    return sender_id(sender) if isinstance(sender, str) and is_page_sender(sender) else None


def _to_provider(sender: str):
    session[SIGNING_IN] = sender
    return current_app.extensions["identity_rp"].city.authorize_redirect(
        f"{_config().public_base_url}/identity/callback"
    )


@bp.get("/bind/<token>")
def bind_from_chat(token: str):
    asked = current_app.extensions["services"].binding_links.request(token)
    if asked is None:
        return _sorry("这个认证链接已经过期了。请回到对话里，再说一次您要办的事，我会给您一个新链接。")
    session[REQUEST] = asdict(asked)
    if is_signed_page(asked.sender):  # from the web chat: this browser must be the one that chats
        if _this_browsers_page() != asked.sender:
            session.pop(REQUEST, None)
            return _sorry("请在您聊天的那个浏览器里点这个认证链接。别人发给您的认证链接请不要点。")
        return _to_provider(asked.sender)
    return _to_wechat()


@bp.get("/chat")
def from_chat_page():
    """实名认证登录 on the /chat page: sign this browser's page in, with nothing to carry on."""
    page = _this_browsers_page()
    if page is None:
        return redirect("/chat")
    session[REQUEST] = asdict(VerifyRequest(page, "", ""))
    return _to_provider(page)


@bp.get("/")
def status():
    """我的 → 实名认证: this WeChat's binding, with 解除绑定 / 重新认证."""
    openid = session.get(OPENID)
    if openid is None:
        session.pop(REQUEST, None)
        return _to_wechat()
    try:
        binding = _backoffice().get(f"/identity/bindings/{openid}")
    except BackofficeError:
        binding = None
    except BackofficeUnavailable:
        return _sorry("系统暂时有点忙，请过几分钟再打开这个页面。", 503)
    return render_template("identity/status.html", binding=binding)


@bp.get("/wechat")
def after_wechat():
    if not request.args.get("state") or request.args.get("state") != session.pop(STATE, None):
        return _sorry("这个页面打开的方式不对。请在微信里重新点一下认证链接。")
    openid = _wechat().openid(request.args.get("code", ""))
    if openid is None:
        return _sorry("没能确认您的微信身份。请回到对话里重新点一下认证链接。")
    session[OPENID] = openid
    if session.get(REQUEST) is None:  # opened from the menu: show this WeChat's binding
        return redirect("/identity/")
    return _to_provider(openid)


@bp.post("/verify")
def verify():
    """重新认证 / 去认证 from the status page: a sign-in for this WeChat, with nothing to carry on."""
    check_csrf(again="请在微信里重新打开“我的 → 实名认证”。")
    openid = session.get(OPENID)
    if openid is None:
        return _to_wechat()
    session[REQUEST] = asdict(VerifyRequest(openid, "", ""))
    return _to_provider(openid)


@bp.post("/unbind")
def unbind():
    check_csrf(again="请在微信里重新打开“我的 → 实名认证”。")
    openid = session.get(OPENID)
    if openid is None:
        return _to_wechat()
    try:
        _backoffice().delete(f"/identity/bindings/{openid}")
    except BackofficeError:
        pass  # not bound (any more): the page says so
    except BackofficeUnavailable:
        return _sorry("系统暂时有点忙，没能解除绑定，请过几分钟再试。", 503)
    log.info("binding removed by the resident", extra={"sender": mask_text(openid)})
    return redirect("/identity/")


@bp.get("/callback")
def callback():
    sender, asked = session.pop(SIGNING_IN, None), session.pop(REQUEST, None)
    if sender is None or asked is None:
        return _sorry("认证页面打开太久了。请回到对话里重新点一下认证链接。")
    try:
        token = current_app.extensions["identity_rp"].city.authorize_access_token()
    except OAuthError as exc:
        log.warning("sign-in at the identity provider failed", extra={"error": exc.error})
        return _sorry("认证没有完成。请回到对话里重新点一下认证链接再试一次。")
    web_page = is_signed_page(sender)
    body = {"sender": sender, "id_token": token["id_token"]}
    try:
        bound = _backoffice().post(
            "/identity/bindings", body | {"lifetime_seconds": SIGNED_IN_SECONDS} if web_page else body
        )
    except (BackofficeError, BackofficeUnavailable) as exc:
        log.warning("binding refused or not reachable", extra={"error": type(exc).__name__})
        return _sorry("认证信息没能保存，请过几分钟回到对话里再试一次。", 503)
    carried = VerifyRequest(**asked)
    goes_on = carried.sender == sender and bool(carried.resume)
    if carried.sender == sender:
        services = current_app.extensions["services"]
        resume.carry_on(services.database.sessions, services.router, services.outbound, carried)
    if web_page:  # back to the chat, where the conversation carries on (its mailbox)
        session[SESSION_SIGNED_IN] = {"name": bound["masked_name"], "until": time.time() + SIGNED_IN_SECONDS}
        return redirect("/chat")
    after = "请回到微信对话，我们接着办。" if goes_on else "请回到微信对话，接着说您想办的事就行。"
    return render_template(
        "identity/message.html", title="认证成功", message=f"您好，{bound['masked_name']}，实名认证已经完成。{after}"
    )


def init_app(app: Flask, config: Settings) -> None:
    """The verification pages, and the platform registered as the identity provider's relying party."""
    guard.init_app(app)  # CSRF tokens for the status page's two buttons
    rp = OAuth(app)
    rp.register(
        "city",
        client_id=config.oidc_client_id,
        client_secret=config.oidc_client_secret,
        server_metadata_url=f"{config.idp_issuer}/.well-known/openid-configuration",
        client_kwargs={"scope": "openid", "code_challenge_method": "S256", "default_timeout": 10},
    )
    app.extensions["identity_rp"] = rp
    app.register_blueprint(bp)
