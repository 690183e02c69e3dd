"""Real-name verification end to end in Chromium, through the live stack.

A WeChat resident taps 我能领什么 (the benefits their registry record gives) without being
verified; the bot answers with a link. Opened in WeChat (the stand-in's in-app browser), the link goes
through WeChat's web authorisation (网页授权, the stand-in) to the identity provider stand-in,
where the resident gives name and ID number and the code texted to the registry's phone (read
from the SMS stand-in's demo page). The back-office binds the openid, and the conversation
carries on by itself: the resident receives their benefits without asking again.
"""

from __future__ import annotations

import re
import time
import uuid

import pytest
import requests
from playwright.sync_api import Browser
from sqlalchemy import select

from backoffice.residents.models import Resident, WechatBinding
from common.db import make_engine
from tools import stack

pytestmark = [pytest.mark.stack, pytest.mark.browser]


def _backoffice(live_stack, method: str, path: str, **kwargs) -> requests.Response:
    return requests.request(
        method,
        live_stack.url("backoffice") + path,
        timeout=30,
        headers={"Authorization": f"Bearer {live_stack.env['BACKOFFICE_TOKEN']}"},
        **kwargs,
    )


def _unbound_resident(live_stack):
    engine = make_engine(live_stack.env["BACKOFFICE_DATABASE_URL"])
    with engine.connect() as conn:
        bound = select(WechatBinding.resident_id)
        return conn.execute(
            select(Resident.id, Resident.name, Resident.id_number, Resident.phone)
            .where(Resident.phone != "", Resident.id.not_in(bound))
            .order_by(Resident.id.desc())
        ).first()


@pytest.fixture
def worker(live_stack, tmp_path):
    """The Celery worker, so messages sent outside a request (the resumed flow) reach WeChat."""
    env = {**live_stack.env, "WORKER_METRICS_PORT": str(stack.free_port())}
    proc = stack.start_process("worker", env, tmp_path / "logs")
    yield proc
    stack.stop_process(proc)


def test_a_resident_verifies_in_wechat_and_the_interrupted_flow_carries_on(live_stack, worker, browser: Browser):
    resident = _unbound_resident(live_stack)
    openid = "oBind" + uuid.uuid4().hex[:10]
    wechat = live_stack.wechat

    asked = wechat.send_event(openid, "CLICK", key="POLICY_MY_BENEFITS")  # 我的 → 我能领什么
    assert asked.reply and "先确认是您本人" in asked.reply and "您现在享受" not in asked.reply
    link = re.search(r'href="([^"]+/identity/bind/[^"]+)"', asked.reply).group(1)

    page = browser.new_page()
    page.goto(f"{wechat_base(live_stack)}/standin/open?openid={openid}&url={requests.utils.quote(link, safe='')}")
    page.wait_for_selector("#id_number")  # WeChat let the page know the openid; now the identity provider
    page.fill("#name", resident.name)
    page.fill("#id_number", resident.id_number)
    page.click("#send-code")
    page.wait_for_selector("#code")
    assert resident.phone[-4:] in page.content()
    sms = browser.new_page()
    sms.goto(live_stack.url("backoffice") + "/idp/sms")
    code = re.search(r"验证码是(\d{6})", sms.inner_text("tbody")).group(1)
    page.fill("#code", code)
    page.click("#verify")
    page.wait_for_selector("#title")
    assert page.inner_text("#title") == "认证成功" and "我们接着办" in page.inner_text("#message")

    binding = _backoffice(live_stack, "GET", f"/identity/bindings/{openid}")
    assert binding.status_code == 200 and binding.json()["resident_id"] == resident.id

    held = _backoffice(live_stack, "GET", f"/residents/by-openid/{openid}").json()["benefits"]
    theirs = f"您现在享受的有：{'、'.join(held)}。" if held else "登记里您现在还没有领取的补贴。"
    text = _inbox_until(wechat, openid, theirs)
    assert "认证好了" in text and "补贴查询" in text and theirs in text  # carried on, from their record

    again = wechat.send_event(openid, "CLICK", key="POLICY_MY_BENEFITS")
    assert theirs in (again.reply or "")  # verified now: answered at once


def wechat_base(live_stack) -> str:
    return live_stack.env["WECHAT_OPEN_BASE"]


def _inbox_until(wechat, openid: str, expected: str, timeout: float = 60) -> str:
    """The customer-service texts the resident received, once one of them holds ``expected``."""
    deadline = time.monotonic() + timeout
    text = ""
    while time.monotonic() < deadline:
        text = "\n".join(m["text"]["content"] for m in wechat.inbox(openid) if m.get("msgtype") == "text")
        if expected in text:
            break
        time.sleep(0.2)
    return text


def test_a_forged_or_stale_link_binds_nothing(live_stack):
    answer = requests.get(live_stack.url("web") + "/identity/bind/not-a-signed-token", timeout=30)
    assert answer.status_code == 400 and "过期" in answer.text
