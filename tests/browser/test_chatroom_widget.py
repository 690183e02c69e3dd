"""The Chatroom widget (``@scalableminds/chatroom`` 0.12.0 from the npm registry, the REST-channel
widget Rasa's docs point to) embedded on a bureau's page of another origin, in real Chromium,
against the real stack (Rasa, actions, back-office) through a web process whose
``CHAT_ALLOWED_ORIGINS`` names that page's origin (issue 26).

The resident asks a question and gets the answer, taps a button, asks for a person and is queued;
an agent claims the conversation and replies in the console. Chatroom only shows what comes back
in the response to its own POST (it has no polling and no socket), so the agent's reply is in the
resident's mailbox (the conversation's record) but not on the widget: README says so, and points
to the /chat page or a widget that receives pushed messages for conversations with an agent.
A page of an origin not on the list is refused by the browser (no Access-Control-Allow-Origin),
and the bot never hears it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import sessionmaker

from common.db import make_engine
from tests.browser.conftest import conversation_id
from tests.browser.widget_portal import Portal, agent_claims_and_replies, widget_portal
from web.outbound.mailbox import Mailbox

pytestmark = [pytest.mark.stack, pytest.mark.browser]

CHATROOM = Path(__file__).parent / "widgets" / "chatroom" / "node_modules" / "@scalableminds" / "chatroom" / "dist"

# The bureau's page, as Chatroom's README has it: its script and style, a container, the web app's address.
PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>民政局门户</title>
<link rel="stylesheet" href="/Chatroom.css"></head>
<body><h1>民政局门户</h1><div class="chat-container"></div>
<script src="/Chatroom.js"></script>
<script>
  var chatroom = new window.Chatroom({
    host: %s,
    title: "民政小助手",
    container: document.querySelector(".chat-container"),
    welcomeMessage: "您好，我是民政小助手，有什么可以帮您？"
  });
  chatroom.openChat();
</script></body></html>
"""


@pytest.fixture
def portal(live_stack, tmp_path) -> Iterator[Portal]:
    """The bureau's page with Chatroom, and a web process (the Procfile's) that allows its origin."""
    assets = {name: CHATROOM / name for name in ("Chatroom.js", "Chatroom.css")}
    with widget_portal(live_stack, tmp_path, "web", assets, PAGE) as portal:
        yield portal


def _say(page: Page, text: str) -> None:
    box = page.locator(".chatroom form.input input[type=text]")
    box.fill(text)
    box.press("Enter")


def _sender(page: Page) -> str:
    """The sender Chatroom made up for this tab (its sessionStorage), as the platform names it."""
    user = page.evaluate("Object.values(window.sessionStorage).find(v => /^[0-9a-f-]{36}$/.test(v))")
    assert user, "Chatroom keeps its session id in sessionStorage"
    return f"web:{user}"


def test_chatroom_on_an_allowed_portal_answers_taps_a_button_and_hands_over(live_stack, portal, agent, browser):
    page = browser.new_context(locale="zh-CN").new_page()
    page.goto(portal.allowed)
    chats = page.locator(".chatroom .chats")
    expect(chats).to_contain_text("您好，我是民政小助手")
    sender = _sender(page)

    # A question answered by the bot, across origins.
    _say(page, "曹杨新村附近有没有长者食堂")
    expect(chats.locator(".chat.left").last).to_contain_text("长者食堂", timeout=30_000)
    expect(chats).to_contain_text("离曹杨新村街道最近的长者食堂")

    # A button: Chatroom sends its payload, the bot goes on to the next page.
    more = chats.locator(".chat-buttons .chat-button", has_text="更多").last
    expect(more).to_be_visible()
    answers = chats.locator(".chat.left").count()
    more.click()
    expect(chats.locator(".chat.left")).not_to_have_count(answers, timeout=30_000)
    expect(chats.locator(".chat.left").last).to_contain_text("长者食堂")

    # A person: the resident is queued and told so.
    _say(page, "转人工")
    expect(chats).to_contain_text("转给工作人员", timeout=30_000)

    # The agent claims the conversation and replies in the console.
    reply = "您好，我是小王。长者食堂的用餐要提前一天预订。"
    console = agent_claims_and_replies(browser, live_stack.url("web"), conversation_id(live_stack, sender), reply)
    expect(console.locator("#transcript li.agent").last).to_contain_text("提前一天预订", timeout=10_000)

    # The reply is in the resident's mailbox (what /chat polls); Chatroom, which never polls, cannot show it.
    mailbox = Mailbox(sessionmaker(make_engine(live_stack.env["DATABASE_URL"])))
    deadline = time.monotonic() + 10
    while not any("提前一天预订" in str(body) for _id, body in mailbox.after(sender, None)):
        assert time.monotonic() < deadline, "the agent's reply never reached the resident's mailbox"
        time.sleep(0.2)

    # The resident's next message from the widget reaches the agent, not the bot.
    _say(page, "好的，谢谢")
    expect(console.locator("#transcript li.resident").last).to_contain_text("好的，谢谢", timeout=10_000)


def test_chatroom_on_a_portal_not_on_the_list_is_refused_by_the_browser(live_stack, portal, browser):
    page = browser.new_context(locale="zh-CN").new_page()
    refusals: list[str] = []
    page.on("console", lambda m: refusals.append(m.text) if "CORS policy" in m.text else None)
    failed: list[str] = []
    page.on("requestfailed", lambda r: failed.append(r.url) if "/webhooks/rest/webhook" in r.url else None)
    page.goto(portal.other)
    chats = page.locator(".chatroom .chats")
    expect(chats).to_contain_text("您好，我是民政小助手")
    sender = _sender(page)

    _say(page, "曹杨新村附近有没有长者食堂")
    deadline = time.monotonic() + 10
    while not (refusals and failed):
        assert time.monotonic() < deadline, f"not refused: console {refusals}, failed requests {failed}"
        page.wait_for_timeout(200)
    assert "Access-Control-Allow-Origin" in " ".join(refusals)
    assert chats.locator(".chat.left").count() == 1  # the welcome only: no answer reached the page
    assert conversation_id(live_stack, sender) is None, "the preflight failed, so the POST itself was never sent"
