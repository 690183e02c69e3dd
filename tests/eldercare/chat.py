"""Talking to the live stack like a resident: the web chat (REST) and WeChat (signed XML), plus verifying
a test openid as a resident through the real sign-in pages (tests/identity/wechat_signin.py)."""

from __future__ import annotations

import hashlib
import itertools
import time
from dataclasses import dataclass

import defusedxml.ElementTree as SafeET
import requests
from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice.residents.models import Resident, WechatBinding
from common.db import make_engine
from tests.identity.wechat_signin import verify

_msg_ids = itertools.count(int(time.time()) * 1000)


@dataclass
class Reply:
    texts: list[str]
    buttons: list[dict]
    raw: list[dict]

    @property
    def text(self) -> str:
        return "\n".join(self.texts)


def say(stack, sender: str, message: str) -> Reply:
    resp = requests.post(
        stack.url("web") + "/webhooks/rest/webhook", json={"sender": sender, "message": message}, timeout=30
    )
    resp.raise_for_status()
    body = resp.json()
    return Reply([m["text"] for m in body if m.get("text")], [b for m in body for b in m.get("buttons", [])], body)


def _tracker_events(stack, sender: str) -> list[dict]:
    resp = requests.get(
        f"{stack.url('rasa')}/conversations/{sender}/tracker", params={"token": stack.env["RASA_TOKEN"]}, timeout=10
    )
    return resp.json().get("events") or []


def wechat(stack, openid: str, content: str = "", location: tuple[float, float] | None = None) -> str:
    """Send a WeChat text (or location) message as WeChat's servers would; the bot's answer. When the bot takes
    longer than the passive-reply budget the channel answers "success" and replies later through the WeChat API;
    then the answer is read from the Rasa conversation instead."""
    seen = len(_tracker_events(stack, openid))
    token, ts, nonce = stack.env["WECHAT_TOKEN"], str(int(time.time())), "n" + str(next(_msg_ids))[-8:]
    query = {
        "signature": hashlib.sha1("".join(sorted([token, ts, nonce])).encode()).hexdigest(),
        "timestamp": ts,
        "nonce": nonce,
    }
    head = (
        f"<xml><ToUserName><![CDATA[gh_civic]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>{ts}</CreateTime>"
    )
    if location:
        body = (
            f"<MsgType><![CDATA[location]]></MsgType><Location_X>{location[0]}</Location_X><Location_Y>{location[1]}</Location_Y>"
            f"<Scale>15</Scale><Label><![CDATA[上海市普陀区]]></Label>"
        )
    else:
        body = f"<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{content}]]></Content>"
    xml = f"{head}{body}<MsgId>{next(_msg_ids)}</MsgId></xml>"
    resp = requests.post(stack.url("web") + "/wechat", params=query, data=xml.encode(), timeout=30)
    resp.raise_for_status()
    if resp.text != "success":
        return SafeET.fromstring(resp.content).findtext("Content") or ""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        new = _tracker_events(stack, openid)[seen:]
        if (
            any(e["event"] == "user" for e in new)
            and new[-1]["event"] == "action"
            and new[-1]["name"] == "action_listen"
        ):
            return "\n\n".join(e.get("text") or "" for e in new if e["event"] == "bot")
        time.sleep(0.3)
    raise AssertionError(f"no answer to {content or location!r} within 30 s")


def backoffice(stack, method: str, path: str, **kwargs) -> requests.Response:
    headers = {"Authorization": f"Bearer {stack.env['BACKOFFICE_TOKEN']}", **kwargs.pop("headers", {})}
    return requests.request(method, stack.url("backoffice") + path, headers=headers, timeout=15, **kwargs)


def bind(stack, openid: str, where) -> int:
    """Verify ``openid`` as the first resident matching the SQLAlchemy condition ``where`` who has a phone and is
    not bound yet, through the identity provider's pages (no rows inserted); the resident's id."""
    engine = make_engine(stack.env["BACKOFFICE_DATABASE_URL"])
    try:
        with Session(engine) as sess:
            taken = select(WechatBinding.resident_id)
            resident = sess.scalar(
                select(Resident).where(where, Resident.phone != "", Resident.id.not_in(taken)).order_by(Resident.id)
            )
            sess.expunge(resident)
    finally:
        engine.dispose()
    verify(stack, openid, resident)
    return resident.id
