"""`/policy/r/<token>`: the link in a campaign's template message.

Opening it counts as "opened"; its button starts the campaign's conversation for the
resident through the routing point (the same conversation as their WeChat chat, keyed
by openid) and shows the bot's first answer; they carry on in the chat.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template

from web.admin.guard import check_csrf
from web.conversations.router import Inbound
from web.policy import schedule
from web.policy.models import PolicyCampaign, PolicyDelivery

bp = Blueprint("policy_public", __name__, url_prefix="/policy")


def _delivery(token: str) -> tuple[int, int]:
    delivery_id = current_app.extensions["policy"].links.delivery_id(token)
    with current_app.extensions["database"].sessions.begin() as sess:
        d = sess.get(PolicyDelivery, delivery_id) if delivery_id else None
        if d is None:
            abort(404)
        if d.opened_at is None:
            d.opened_at = schedule.now_local()
        return d.id, d.campaign_id


@bp.get("/r/<token>")
def opened(token: str):
    _delivery_id, campaign_id = _delivery(token)
    with current_app.extensions["database"].sessions() as sess:
        c = sess.get(PolicyCampaign, campaign_id)
    return render_template("policy/landing.html", c=c, token=token, replies=None)


@bp.post("/r/<token>")
def apply(token: str):
    check_csrf(again="请重新打开消息里的链接，再点一次按钮。")  # the staff pages' CSRF check: an expired page is 400
    delivery_id, campaign_id = _delivery(token)
    sessions = current_app.extensions["database"].sessions
    with sessions.begin() as sess:
        d = sess.get(PolicyDelivery, delivery_id)
        c = sess.get(PolicyCampaign, campaign_id)
        d.replied_at = d.replied_at or schedule.now_local()
        openid, payload = d.openid, c.apply_payload
    if not payload:
        abort(404)
    replies = current_app.extensions["router"].handle(
        Inbound("wechat", openid, payload, {"campaign": campaign_id}, transcript=f"[推送链接] {c.apply_keyword}")
    )
    return render_template("policy/landing.html", c=c, token=token, replies=replies)
