"""The sixth agent line in a WeChat window, in real Chromium on the real stack (issue 23).

The resident writes through the WeChat stand-in, which enforces WeChat's customer-service quota
(5 messages per resident message, 45047 beyond); a Celery worker sends the agent's replies through
it. The agent sees the messages left count down above the reply box before typing, is warned when
replying with none left, and sees the refused reply appear at once under 未送达，待回电 (the live
stream), while the resident never received it.
"""

from __future__ import annotations

import re
import time

import pytest

from tests.browser.conftest import conversation_id, said_to, sign_in_agent, wait_said

pytestmark = [pytest.mark.stack, pytest.mark.browser]


def test_the_agent_sees_the_quota_run_out_and_the_refused_reply(live_stack, wechat, agent, browser):
    from playwright.sync_api import expect

    web = live_stack.url("web")
    openid = f"oReach{int(time.time())}"
    page = browser.new_page()
    sign_in_agent(page, web)

    wechat.send_text(openid, "转人工")
    conv_id = conversation_id(live_stack, openid)
    page.goto(f"{web}/console/conversations/{conv_id}")
    page.click("#claim")
    page.wait_for_selector("#reply-form")
    expect(page.locator("#live-status")).to_have_text("实时", timeout=10_000)
    wait_said(wechat, openid, "小王")  # the claim's greeting: one of the five

    window = page.locator("#cs-window")
    n = 0
    # Five for 转人工, less what WeChat took already: the greeting, and the bot's answer when it was
    # too slow for the passive reply (a loaded machine) and went as a customer-service message.
    start = 5 - len(said_to(wechat, openid))
    expect(window).to_contain_text(f"还可以发{start}条", timeout=15_000)
    while "还可以发" in window.inner_text():
        n += 1
        page.fill("#reply-text", f"第{n}句回复")
        page.click("#send-reply")
        expect(page.locator("#transcript li.agent").last).to_contain_text(f"第{n}句回复")
        if n < start:
            expect(window).to_contain_text(f"还可以发{start - n}条", timeout=15_000)
        else:
            expect(window).to_contain_text("还剩0条", timeout=15_000)
        wait_said(wechat, openid, f"第{n}句回复")
        assert n < 6
    expect(window).to_have_class(re.compile("used_up"))

    page.fill("#reply-text", "这一句会被微信拒收")
    page.click("#send-reply")
    expect(page.locator("#reply-notice")).to_contain_text("很可能收不到")  # told when sending
    expect(page.locator("#undelivered")).to_be_visible(timeout=10_000)  # told when WeChat refused it
    expect(page.locator("#undelivered-list")).to_contain_text("这一句会被微信拒收")
    expect(page.locator("#undelivered-list")).to_contain_text("本轮可发条数已用完")
    assert not any("拒收" in t for t in said_to(wechat, openid))

    page.click("#undelivered-list button.callback-done")  # the agent called the resident
    expect(page.locator("#undelivered")).to_be_hidden(timeout=5_000)
