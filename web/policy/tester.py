"""Test sends: a staff member sees a campaign's notice on their own WeChat before anyone else does.

Console accounts have no WeChat of their own, so a staff member binds one: the campaign page shows a
one-time code (:data:`CODE_WORDS` + six digits, :data:`CODE_TTL`), the staff member sends it to the
Official Account from their phone, and the routing point's rewrite hook (``reply.rewrite``) records
that WeChat for the account — a note written with the message, as every rewrite writes. The test send
itself is the campaign's notice, as one resident would receive it with the staff member's name, sent
by the worker (``policy.test_send``); like any subscription notice it reaches only a WeChat that
accepted the campaign's template (the account's 订阅办事提醒 page).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import replace
from datetime import datetime, timedelta
from functools import partial

from sqlalchemy import select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, sessionmaker

from web.conversations.router import Inbound, Note
from web.policy import schedule
from web.policy.delivery import message_body
from web.policy.models import PolicyCampaign, PolicyTester

CODE_WORDS = "绑定测试"
CODE_TTL = timedelta(minutes=10)
ANSWER = "/greet"  # what the bot hears instead of the code: a greeting, not a question it cannot read
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


def binding(conn: Connection, inbound: Inbound, said: str) -> tuple[Inbound, Note] | None:
    """The message ``绑定测试123456`` from a WeChat: the note that binds it to the code's account."""
    m = _CODE.match(said)
    if m is None or inbound.channel != "wechat":
        return None
    username = conn.execute(
        select(PolicyTester.username).where(
            PolicyTester.code == m.group(1), PolicyTester.code_expires_at > schedule.now_local()
        )
    ).scalar()
    if username is None:
        return None
    transcript = inbound.transcript or inbound.text
    return replace(inbound, text=ANSWER, transcript=transcript), partial(
        _bind, username, inbound.sender_id, schedule.now_local()
    )


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
