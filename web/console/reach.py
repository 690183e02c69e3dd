"""Whether an agent's reply can still reach a WeChat resident, shown before the agent types.

The conversation page of a WeChat resident shows the customer-service window and quota
(web/outbound/cs_window.py: the time left and the messages left, those already written and not
yet sent counted) and the resident's open call-back tasks (web/handoff/undelivered.py: replies
WeChat refused). ``GET /console/conversations/<id>/reach`` answers the same as JSON: the page asks
again when the resident writes, after each reply, and when the desk announces an undelivered
reply (the ``undelivered`` event of the live stream). ``POST …/callbacks/<task>/done`` closes a
task once the agent reached the resident another way (audited).
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import datetime

import redis
from flask import jsonify
from flask_login import current_user
from sqlalchemy.orm import Session

from common.db import session as db_session
from common.masking import mask_text
from web.admin.audit import audit
from web.console.blueprint import bp
from web.console.services import services
from web.conversations.models import Conversation
from web.handoff import undelivered
from web.outbound import cs_window
from web.workdays import to_local, utcnow

log = logging.getLogger(__name__)

REASONS = {"window_closed": "居民超过48小时没发消息", "rate_limited": "本轮可发条数已用完"}


@dataclass(frozen=True)
class Window:
    """What the agent is told about the next reply: ``state`` open | used_up | closed | unknown."""

    state: str
    left: int
    seconds_left: int
    text: str


def window(client: redis.Redis, sess: Session, openid: str, now: datetime) -> Window:
    try:
        allowed = cs_window.allowance(client, openid, now, cs_window.pending(sess, openid))
    except redis.RedisError:
        log.warning("customer-service window unknown, redis unavailable")
        return Window("unknown", 0, 0, "暂时读不到客服消息的剩余条数；发出的回复如果居民收不到，会列在“未送达”里。")
    seconds = allowed.seconds_left(now)
    if allowed.open_until is None:
        return Window(
            "closed",
            0,
            0,
            "客服消息窗口已关闭（居民超过48小时没发消息）：现在回复居民收不到，会记为未送达、待回电。"
            "居民再发一条消息后，可以再发5条。",
        )
    until = _duration(seconds)
    if allowed.left == 0:
        return Window(
            "used_up",
            0,
            seconds,
            f"本轮客服消息已用完（还剩0条，窗口还有{until}）：居民再发一条消息前，回复会记为未送达、待回电。"
            "要说的话请合并成一条。",
        )
    return Window("open", allowed.left, seconds, f"还可以发{allowed.left}条 · 窗口还有{until}。多句话请合并成一条发。")


def _duration(seconds: int) -> str:
    hours, minutes = divmod(max(0, seconds) // 60, 60)
    return f"{hours}小时{minutes}分" if hours else f"{max(1, minutes)}分钟"


def callbacks(sess: Session, openid: str) -> list[dict]:
    """The resident's open call-back tasks, masked for the page."""
    return [
        {
            "task_id": k.task_id,
            "text": mask_text(k.text),
            "reason": REASONS.get(k.reason, k.reason),
            "written_at": to_local(k.written_at).strftime("%m-%d %H:%M") if k.written_at else "",
            "notice": "已发订阅通知，告诉居民有回复、会来电" if k.notice_sent else "",
        }
        for k in undelivered.for_resident(sess, openid)
    ]


def for_page(sess: Session, conv: Conversation) -> dict | None:
    """The page's context: None for a web chat resident (its mailbox has no window)."""
    if conv.channel != "wechat":
        return None
    return {
        "window": window(services().redis, sess, conv.sender_id, utcnow()),
        "callbacks": callbacks(sess, conv.sender_id),
    }


@bp.get("/conversations/<int:conversation_id>/reach")
def reach(conversation_id: int):
    from web.console.views import _viewable

    conv = _viewable(conversation_id)
    shown = for_page(db_session(), conv)
    if shown is None:
        return jsonify(window=None, callbacks=[])
    return jsonify(window=asdict(shown["window"]), callbacks=shown["callbacks"])


@bp.post("/conversations/<int:conversation_id>/callbacks/<int:task_id>/done")
def callback_done(conversation_id: int, task_id: int):
    from web.console.views import _done, _viewable

    conv = _viewable(conversation_id)
    sess = db_session()
    if not undelivered.done(sess, task_id, conv.sender_id, current_user.username, utcnow()):
        sess.rollback()
        return _done(conv, "这条已经处理过了", 409)
    audit(sess, "callback_done", conv.id, task=task_id)
    sess.commit()
    return _done(conv, "已记下：已联系居民。")
