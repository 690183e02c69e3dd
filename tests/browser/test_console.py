"""The agent console in real Chromium on the real stack, with the resident on the WeChat stand-in.

The resident talks through ``tools/wechat_standin.py`` (WeChat's servers: it posts to
``/wechat`` and receives the customer-service messages a Celery worker sends, started
here with the stand-in as its WeChat API). The agent signs in, sees the conversation
arrive live, claims it, replies, watches the resident's next message appear, and hands
back to the bot with the marriage booking flow; the bot carries on.
"""

from __future__ import annotations

import re
import time

import pytest
import requests
from sqlalchemy import select

from backoffice.residents.models import Resident, WechatBinding
from common.db import make_engine
from common.masking import mask_name
from tests.browser.conftest import conversation_id, said_to, sign_in_agent, wait_said
from tests.identity.wechat_signin import verify

pytestmark = [pytest.mark.stack, pytest.mark.browser]


def test_an_agent_takes_over_replies_and_hands_back_to_the_bot(live_stack, wechat, agent, browser):
    from playwright.sync_api import expect

    web = live_stack.url("web")
    openid = f"oConsole{int(time.time())}"
    with make_engine(live_stack.env["BACKOFFICE_DATABASE_URL"]).connect() as conn:  # an adult nobody is bound to
        resident = conn.execute(
            select(Resident.name, Resident.id_number, Resident.phone)
            .where(Resident.phone != "", Resident.id.not_in(select(WechatBinding.resident_id)))
            .order_by(Resident.id.desc())
            .limit(1)
        ).one()
    verify(live_stack, openid, resident)  # through the real sign-in pages: the booking handed back needs it
    page = browser.new_page()
    page.goto(web + "/console/")
    assert "/console/login" in page.url  # nothing without signing in
    sign_in_agent(page, web)
    expect(page.locator("#live-status")).to_have_text("实时", timeout=10_000)

    # The resident asks for a person; the bot says what happens and how long it takes.
    asked = wechat.send_text(openid, "转人工")
    sent_at = time.monotonic()
    row = page.locator(f'#waiting tr.ticket[data-conversation="{conversation_id(live_stack, openid)}"]')
    expect(row).to_have_count(1, timeout=5_000)
    assert time.monotonic() - sent_at < 1.5, "the new conversation did not appear live"
    told = " ".join(filter(None, [asked.reply, *said_to(wechat, openid)]))
    # Other tests on the shared stack may have left residents waiting: the place depends on them.
    assert "转给工作人员" in told and re.search(r"您是下一位|您前面还有 \d+ 位", told), told

    # Claim: the conversation view has the whole transcript; the resident hears who took over.
    row.locator("button.claim").click()
    page.wait_for_url("**/console/conversations/*")
    expect(page.locator("#live-status")).to_have_text("实时", timeout=10_000)
    expect(page.locator("#transcript")).to_contain_text("转人工")
    expect(page.locator("#understanding")).to_contain_text("human_handoff")
    verified = f"实名认证：已实名（短信验证码），{mask_name(resident.name)}"  # read from the back-office
    expect(page.locator("#verification")).to_contain_text(verified)
    assert resident.id_number not in page.content()
    assert page.locator("#profile form, #profile [id*=bind]").count() == 0  # agents cannot bind
    wait_said(wechat, openid, "小王")

    # The agent replies; the resident receives it through WeChat's customer-service API.
    page.fill("#reply-text", "您好，结婚登记要带双方的户口本和身份证。我帮您约个时间吧。")
    page.click("#send-reply")
    expect(page.locator("#transcript li.agent").last).to_contain_text("户口本和身份证")
    wait_said(wechat, openid, "户口本和身份证")

    # The resident's next message goes to the agent (not the bot) and shows up at once.
    answered = wechat.send_text(openid, "好的，那就约下个月2号上午")
    arrived = time.monotonic()
    expect(page.locator("#transcript li.resident").last).to_contain_text("下个月2号上午", timeout=3_000)
    assert time.monotonic() - arrived < 1.0, "the resident's message did not appear within a second"
    assert answered.reply is None  # the bot stayed quiet
    live_line = page.locator("#transcript li.resident").last
    form = live_line.locator("details.correct form")  # the agent can correct a live line too
    assert re.search(r"/messages/\d+/correct$", form.get_attribute("action"))
    assert form.get_attribute("action") != page.locator("#correct-template").evaluate(
        "t => t.content.querySelector('form').getAttribute('action')"
    )

    # Hand back to the bot with the booking flow and what the agent already knows.
    page.select_option("#outcome", "handed_back")
    page.select_option("#flow", "marriage_book")
    page.fill("#value_marriage_type", "结婚")
    page.click("#close")
    page.wait_for_url("**/console/")

    tracker = requests.get(
        f"{live_stack.url('rasa')}/conversations/{openid}/tracker",
        params={"token": live_stack.env["RASA_TOKEN"]},
        timeout=10,
    ).json()
    kinds = [e["event"] for e in tracker["events"]]
    assert "pause" in kinds and "resume" in kinds and kinds.index("pause") < kinds.index("resume")
    assert not tracker.get("paused")
    assert tracker["slots"].get("marriage_type") == "结婚"
    assert tracker["latest_message"]["intent"]["name"] == "marriage_book"
    bot_after_resume = [e for e in tracker["events"][kinds.index("resume") :] if e["event"] == "bot" and e.get("text")]
    assert bot_after_resume, "the bot did not start the booking flow"
    wait_said(wechat, openid, bot_after_resume[0]["text"][:12])

    # The bot carries on with the resident: messages reach Rasa again and it answers.
    before = len(said_to(wechat, openid))
    carried_on = wechat.send_text(openid, "你好")
    deadline = time.monotonic() + 20
    while not carried_on.reply and len(said_to(wechat, openid)) == before and time.monotonic() < deadline:
        time.sleep(0.2)
    assert carried_on.reply or len(said_to(wechat, openid)) > before
