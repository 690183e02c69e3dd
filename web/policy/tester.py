"""Test sends: a staff member sees a campaign's notice on their own WeChat before anyone else does.

Console accounts have no WeChat of their own, so a staff member binds one: the campaign page shows a
one-time code (:data:`CODE_WORDS` + six digits, :data:`CODE_TTL`), the staff member sends it to the
Official Account from their phone, and the routing point's rewrite hook (``reply.rewrite``) records
that WeChat for the account and answers the message itself (``router.Handled``: a note written with the
message, then a confirmation; the bot never sees the code). A code that is wrong or expired gets a reply
saying so. The test send
itself is the campaign's notice, as one resident would receive it with the staff member's name, sent
by the worker (``policy.test_send``); like any subscription notice it reaches only a WeChat that
accepted the campaign's template (the account's 订阅办事提醒 page).
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta
from functools import partial

from sqlalchemy import select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, sessionmaker

from web.conversations.router import Handled, Inbound
from web.policy import schedule
from web.policy.delivery import message_body
from web.policy.models import PolicyCampaign, PolicyTester

CODE_WORDS = "绑定测试"
CODE_TTL = timedelta(minutes=10)
BOUND = (
    "绑定好了。以后在推送活动的页面上点“发一条测试通知到我的微信”，测试通知就会发到这个微信。"
    "如果收不到，请在公众号菜单“订阅办事提醒”里订阅。"
)
WRONG_CODE = "这个绑定码不对，或者已经超过 10 分钟了。请在推送活动的页面上重新点“绑定我的微信”，再把新的绑定码发过来。"
_CODE = re.compile(rf"^{CODE_WORDS}(\d{{6}})$")


def new_code(sess: Session, username: str) -> str:
    """A fresh one-time code for ``username`` (the previous one no longer binds)."""
    code = f"{secrets.randbelow(10**6):06d}"
    row = sess.get(PolicyTester, username) or PolicyTester(username=username)
    row.code, row.code_expires_at = code, schedule.now_local() + CODE_TTL
    sess.add(row)
    return code


def bound(sess: Session, username: str) -> str | None:
    row = sess.get(PolicyTester, username)
    return row.openid if row is not None else None


def binding(conn: Connection, inbound: Inbound, said: str) -> Handled | None:
    """The message ``绑定测试123456`` from a WeChat, answered here: the note that binds it to the code's
    account and the confirmation, or why it binds nothing. None: not a binding code."""
    m = _CODE.match(said)
    if m is None or inbound.channel != "wechat":
        return None
    username = conn.execute(
        select(PolicyTester.username).where(
            PolicyTester.code == m.group(1), PolicyTester.code_expires_at > schedule.now_local()
        )
    ).scalar()
    if username is None:
        return Handled(WRONG_CODE)
    return Handled(BOUND, partial(_bind, username, inbound.sender_id, schedule.now_local()))


def _bind(username: str, openid: str, at: datetime, sess: Session) -> None:
    sess.execute(
        update(PolicyTester)
        .where(PolicyTester.username == username)
        .values(openid=openid, bound_at=at, code=None, code_expires_at=None)
    )


def send(sessions: sessionmaker, api, campaign_id: int, openid: str, name: str) -> int | None:
    """The campaign's notice to ``openid`` with ``name`` for ``{name}``; WeChat's msgid."""
    with sessions() as sess:
        c = sess.get(PolicyCampaign, campaign_id)
        body = message_body(c, name, None)
    return api.send_notice(openid, body["template_id"], body["data"], body["page"])
