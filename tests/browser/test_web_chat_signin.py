"""The web chat signs in through the identity provider, in Chromium, through the live stack.

A resident on /chat asks 我能领什么 (the benefits their registry record gives) without being
verified; the bot answers with a link. The link opens the identity provider in the same tab
(no WeChat step on the web); name, ID number and the code texted to the registry's phone (read
from the SMS stand-in's demo page) sign the page in. Back on /chat the earlier messages are still
there, the page says whose it is (masked), and the conversation carries on by itself. Only the
page's signed token speaks as that conversation: a bare REST client naming it is refused, and a
link opened in another browser binds nothing. 退出登录 removes the binding and starts afresh.
"""

from __future__ import annotations

import re

import pytest
import requests
from playwright.sync_api import Browser, Page, expect

from tests.browser.test_identity_binding import _backoffice, _unbound_resident

pytestmark = [pytest.mark.stack, pytest.mark.browser]


def _sign_in(page: Page, browser: Browser, live_stack, resident) -> None:
    """On the identity provider's page: name, ID number, the texted code."""
    page.wait_for_selector("#id_number")
    page.fill("#name", resident.name)
    page.fill("#id_number", resident.id_number)
    page.click("#send-code")
    page.wait_for_selector("#code")
    sms = browser.new_page()
    sms.goto(live_stack.url("backoffice") + "/idp/sms")
    masked = resident.phone[:3] + "****" + resident.phone[-4:]
    row = sms.locator("tbody tr", has_text=masked).first
    code = re.search(r"验证码是(\d{6})", row.inner_text()).group(1)
    sms.close()
    page.fill("#code", code)
    page.click("#verify")


def test_a_web_chat_resident_signs_in_and_the_conversation_carries_on(live_stack, browser: Browser):
    resident = _unbound_resident(live_stack)
    page = browser.new_context(locale="zh-CN").new_page()
    web = live_stack.url("web")
    page.goto(web + "/chat")
    sender = "web:" + page.locator("#chat").get_attribute("data-sender")
    assert sender.startswith("web:page-")
    expect(page.locator("#sign-in")).to_be_visible()

    page.get_by_label("输入您想问的话").fill("/policy_my_benefits")  # 我能领什么 (the NLU is not the subject)
    page.get_by_label("输入您想问的话").press("Enter")
    log = page.get_by_role("log")
    expect(log).to_contain_text("先确认是您本人")
    link = log.get_by_role("link", name="点这里进行实名认证")
    href = link.get_attribute("href")
    assert "/identity/bind/" in href

    # The same link in another browser (forwarded, or a stranger's): nothing is bound.
    other = browser.new_context(locale="zh-CN").new_page()
    other.goto(href)
    expect(other.locator("#message")).to_contain_text("请在您聊天的那个浏览器里")
    assert other.locator("#id_number").count() == 0
    other.context.close()

    link.click()  # same tab: the provider, then back to the chat
    _sign_in(page, browser, live_stack, resident)
    page.wait_for_url(web + "/chat")
    masked = resident.name[0] + "*" * (len(resident.name) - 1)
    expect(page.locator("#signed-in")).to_contain_text(masked)
    assert resident.name not in page.content() and resident.id_number not in page.content()
    binding = _backoffice(live_stack, "GET", f"/identity/bindings/{sender}").json()
    assert binding["resident_id"] == resident.id and binding["expires_at"] is not None

    log = page.get_by_role("log")
    expect(log).to_contain_text("先确认是您本人")  # the tab kept the conversation it showed
    held = _backoffice(live_stack, "GET", f"/residents/by-openid/{sender}").json()["benefits"]
    theirs = f"您现在享受的有：{'、'.join(held)}。" if held else "登记里您现在还没有领取的补贴。"
    expect(log).to_contain_text("认证好了", timeout=30_000)  # carried on by itself (the mailbox)
    expect(log).to_contain_text(theirs, timeout=30_000)

    # Only the page's token speaks as this conversation; the bare REST channel stays anonymous.
    bare = requests.post(
        web + "/webhooks/rest/webhook", json={"sender": sender.removeprefix("web:"), "message": "/policy_my_benefits"}
    )
    assert bare.status_code == 403
    forged = requests.post(
        web + "/webhooks/rest/webhook",
        json={"sender": "x", "message": "/policy_my_benefits"},
        headers={"X-Chat-Token": "forged"},
    )
    assert forged.status_code == 403
    anonymous = requests.post(
        web + "/webhooks/rest/webhook", json={"sender": "bare-widget", "message": "/policy_my_benefits"}
    ).json()
    said = " ".join(m.get("text", "") for m in anonymous)
    assert "先确认是您本人" in said and "href" not in said and web + "/chat" in said and theirs not in said

    page.get_by_role("button", name="退出登录").click()
    expect(page.locator("#sign-in")).to_be_visible()
    assert _backoffice(live_stack, "GET", f"/identity/bindings/{sender}").status_code == 404
    fresh = "web:" + page.locator("#chat").get_attribute("data-sender")
    assert fresh != sender and fresh.startswith("web:page-")
    assert "认证好了" not in page.get_by_role("log").inner_text()  # the next person starts afresh
