"""``/subscriptions/``: the opt-in page (an H5 page the account's menu and articles link to).

It shows the notices the bureau may send and WeChat's own subscribe button (the open tag
``wx-open-subscribe`` with the templates' ids). The resident's choice never passes through this
page: WeChat shows its pop-up and tells the platform in ``subscribe_msg_popup_event`` (PopupScene 1)
at /wechat, which records it (web/subscriptions/events.py). Without the JS-SDK configuration
(WeChat unreachable) the page says so and asks the resident to come back later.
"""

from __future__ import annotations

import logging

import redis
from flask import Blueprint, Flask, current_app, render_template, request

from web.subscriptions import templates
from web.subscriptions.jssdk import JsSdk
from web.wechat_api import WechatApi, WechatApiError

log = logging.getLogger(__name__)
bp = Blueprint("subscriptions", __name__, url_prefix="/subscriptions")
MAX_PER_BUTTON = 5  # WeChat: a subscribe component holds at most 5 notices (订阅通知介绍)
JS_SDK = "https://res.wx.qq.com/open/js/jweixin-1.6.0.js"  # WeChat's JS-SDK: open tags need WeChat's own script


def init_app(app: Flask, client: redis.Redis, api: WechatApi, app_id: str) -> None:
    app.extensions["notice_jssdk"] = JsSdk(client, api, app_id)
    app.register_blueprint(bp)


@bp.get("/")
def optin():
    sdk: JsSdk = current_app.extensions["notice_jssdk"]
    try:
        config = sdk.config(request.url)
    except (WechatApiError, redis.RedisError):
        log.warning("subscribe page without the JS-SDK configuration: WeChat or Redis unavailable")
        config = None
    offered = list(templates.all_templates().values())[:MAX_PER_BUTTON]
    return render_template(
        "subscriptions/optin.html",
        offered=offered,
        template_ids=",".join(t.template_id for t in offered),
        config=config,
        js_sdk=JS_SDK,
    )
