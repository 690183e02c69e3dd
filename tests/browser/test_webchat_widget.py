"""rasa-webchat (1.0.1 from the npm registry, the most used Rasa widget; it speaks Rasa's Socket.IO
channel) embedded on a bureau's page of another origin, in real Chromium, against the real stack
(Rasa, actions, back-office) through a web process whose ``CHAT_ALLOWED_ORIGINS`` names that
page's origin (issue 26).

The resident asks a question and gets the answer, taps a quick reply, asks for a person and is
queued; an agent claims the conversation and replies in the console, and the reply appears on the
widget live (Socket.IO, emitted through Redis from the web process that served the console). A page
of an origin not on the list is refused at the Socket.IO handshake, and the bot never hears it.

The widget talks to the Procfile's ``socketio`` process (one gunicorn worker, ``SOCKETIO_CHANNEL=1``):
a Socket.IO session lives in the process that made it, and rasa-webchat starts with long-polling
(docs/architecture.md, "The Socket.IO channel"). The agent works in the stack's own web process,
which has no /socket.io: the reply reaches the widget through Redis.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from common.db import make_engine
from tests.browser.widget_portal import Portal, agent_claims_and_replies, widget_portal
from web.conversations.models import Conversation

pytestmark = [pytest.mark.stack, pytest.mark.browser]

WEBCHAT = Path(__file__).parent / "widgets" / "node_modules" / "rasa-webchat" / "lib" / "index.js"

# The bureau's page, as rasa-webchat's README has it: its script, then WebChat.default with the web app's address.
PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>民政局门户</title></head>
<body><h1>民政局门户</h1>
<script src="/webchat.js"></script>
<script>
  window.WebChat.default({
    socketUrl: %s,
    socketPath: "/socket.io/",
    title: "民政小助手",
    inputTextFieldHint: "请输入您的问题",
    embedded: true,
    customMessageDelay: function () { return 0; },
    params: {storage: "session"}
  }, null);
</script></body></html>
"""


@pytest.fixture
def portal(live_stack, tmp_path) -> Iterator[Portal]:
    """The bureau's page with rasa-webchat, and the Procfile's socketio process that allows its origin."""
    with widget_portal(live_stack, tmp_path, "socketio", {"webchat.js": WEBCHAT}, PAGE) as portal:
        yield portal


def _say(page: Page, text: str) -> None:
    box = page.locator("input.rw-new-message, textarea.rw-new-message")
    box.fill(text)
    box.press("Enter")


def _latest_socket_conversation(live_stack) -> tuple[int, str]:
    with sessionmaker(make_engine(live_stack.env["DATABASE_URL"]))() as sess:
        row = sess.execute(
            select(Conversation.id, Conversation.sender_id)
            .where(Conversation.sender_id.like("web:sio-%"))
            .order_by(Conversation.id.desc())
            .limit(1)
        ).one()
    return row.id, row.sender_id


def test_webchat_on_an_allowed_portal_answers_taps_a_reply_hands_over_and_shows_the_agent_live(
    live_stack,
    portal,
    agent,
    browser,
):
    page = browser.new_context(locale="zh-CN").new_page()
    page.goto(portal.allowed)
    messages = page.locator(".rw-messages-container")
    expect(page.locator(".rw-new-message")).to_be_visible(timeout=15_000)

    # A question answered by the bot, across origins, over Socket.IO.
    _say(page, "曹杨新村附近有没有长者食堂")
    expect(messages).to_contain_text("离曹杨新村街道最近的长者食堂", timeout=30_000)
    conversation, sender = _latest_socket_conversation(live_stack)

    # A quick reply: rasa-webchat sends its payload, the bot goes on to the next page.
    more = messages.locator(".rw-reply", has_text="更多").last
    expect(more).to_be_visible()
    answers = messages.locator(".rw-response").count()
    more.click()
    expect(messages.locator(".rw-response")).not_to_have_count(answers, timeout=30_000)

    # A person: the resident is queued and told so.
    _say(page, "转人工")
    expect(messages).to_contain_text("转给工作人员", timeout=30_000)

    # The agent claims the conversation and replies in the console: the stack's own web process, which
    # does not serve /socket.io (its gunicorn threads stay for /wechat and the pages).
    assert requests.get(live_stack.url("web") + "/socket.io/?EIO=4&transport=polling", timeout=10).status_code == 404
    reply = "您好，我是小王。长者食堂的用餐要提前一天预订。"
    console = agent_claims_and_replies(browser, live_stack.url("web"), conversation, reply)

    # The reply reaches the resident's widget live: emitted through Redis to the conversation's room.
    expect(messages).to_contain_text("提前一天预订", timeout=10_000)

    # The resident's next message from the widget reaches the agent, not the bot.
    _say(page, "好的，谢谢")
    expect(console.locator("#transcript li.resident").last).to_contain_text("好的，谢谢", timeout=10_000)
    assert sender.startswith("web:sio-")


def test_webchat_on_a_portal_not_on_the_list_is_refused(live_stack, portal, browser):
    page = browser.new_context(locale="zh-CN").new_page()
    refused: list[str] = []
    page.on("requestfailed", lambda r: refused.append(r.url) if "/socket.io/" in r.url else None)
    confirmed: list[str] = []
    page.on("console", lambda m: confirmed.append(m.text) if m.text.startswith("session_confirm") else None)
    page.goto(portal.other)
    deadline_ms = 10_000
    while not refused and deadline_ms > 0:
        page.wait_for_timeout(200)
        deadline_ms -= 200
    assert refused, "the handshake from an origin not on the list was not refused"
    page.wait_for_timeout(1_000)
    assert not confirmed, "no Socket.IO session is made for a page not on the list"
    # what the browser was answered: the server's refusal of the origin, not a missing channel
    other_origin = portal.other.rsplit("/", 1)[0]
    answer = requests.get(
        portal.web + "/socket.io/?EIO=4&transport=polling", headers={"Origin": other_origin}, timeout=10
    )
    assert answer.status_code == 400
    assert "Not an accepted origin" in answer.text
    assert "Access-Control-Allow-Origin" not in answer.headers
