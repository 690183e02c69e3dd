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

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import delete, select
from sqlalchemy.orm import sessionmaker
from werkzeug.exceptions import NotFound
from werkzeug.middleware.shared_data import SharedDataMiddleware

from common.db import make_engine
from tests.handoff.conftest import open_all_day
from tests.serving import serve
from tools import stack
from web.console import accounts
from web.conversations.models import Conversation
from web.handoff.models import Agent, WorkingHours
from web.outbound.mailbox import Mailbox

pytestmark = [pytest.mark.stack, pytest.mark.browser]

CHATROOM = Path(__file__).parent / "widgets" / "chatroom" / "node_modules" / "@scalableminds" / "chatroom" / "dist"
AGENT, PASSWORD = "chatroom_agent", "chatroom-agent-password"

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


@dataclass(frozen=True)
class Portal:
    allowed: str  # the bureau's portal: its origin is on CHAT_ALLOWED_ORIGINS
    other: str  # the same page on an origin that is not
    web: str  # the web process the widget calls


def _site(directory: Path) -> object:
    return serve(SharedDataMiddleware(NotFound(), {"/": str(directory)}))


@pytest.fixture
def portal(live_stack, tmp_path) -> Iterator[Portal]:
    if not (CHATROOM / "Chatroom.js").exists():
        pytest.fail("Chatroom is missing: `make test` installs it (npm ci in tests/browser/widgets/chatroom)")
    port = stack.free_port()
    web = f"http://127.0.0.1:{port}"
    site = tmp_path / "portal"
    site.mkdir()
    for name in ("Chatroom.js", "Chatroom.css"):
        (site / name).write_bytes((CHATROOM / name).read_bytes())
    (site / "index.html").write_text(PAGE % json.dumps(web), encoding="utf-8")
    allowed, other = _site(site), _site(site)
    allowed_origin = f"http://127.0.0.1:{allowed.server_port}"
    env = {**live_stack.env, "WEB_PORT": str(port), "CHAT_ALLOWED_ORIGINS": allowed_origin}
    proc = stack.start_process("web", env, tmp_path / "logs")
    try:
        stack.wait_http(web + "/readyz", 60, proc)
        yield Portal(allowed_origin + "/index.html", f"http://127.0.0.1:{other.server_port}/index.html", web)
    finally:
        stack.stop_process(proc)
        allowed.shutdown()
        other.shutdown()


@pytest.fixture
def desk(live_stack) -> Iterator[str]:
    """An agent account and a desk open around the clock (so the test does not depend on the hour)."""
    sessions = sessionmaker(make_engine(live_stack.env["DATABASE_URL"]), expire_on_commit=False)
    with sessions.begin() as sess:
        saved = [(h.day, h.opens, h.closes) for h in sess.query(WorkingHours)]
        open_all_day(sess)
        if sess.scalar(select(Agent.id).where(Agent.username == AGENT)) is None:  # kept: audit entries name it
            accounts.create(sess, AGENT, PASSWORD, "agent", "小李")
    yield AGENT
    with sessions.begin() as sess:
        sess.execute(delete(WorkingHours))
        sess.add_all(WorkingHours(day=d, opens=o, closes=c) for d, o, c in saved)


def _conversation(live_stack, sender_id: str) -> int | None:
    with sessionmaker(make_engine(live_stack.env["DATABASE_URL"]))() as sess:
        return sess.scalar(select(Conversation.id).where(Conversation.sender_id == sender_id))


def _say(page: Page, text: str) -> None:
    box = page.locator(".chatroom form.input input[type=text]")
    box.fill(text)
    box.press("Enter")


def _sender(page: Page) -> str:
    """The sender Chatroom made up for this tab (its sessionStorage), as the platform names it."""
    user = page.evaluate("Object.values(window.sessionStorage).find(v => /^[0-9a-f-]{36}$/.test(v))")
    assert user, "Chatroom keeps its session id in sessionStorage"
    return f"web:{user}"


def test_chatroom_on_an_allowed_portal_answers_taps_a_button_and_hands_over(live_stack, portal, desk, browser):
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
    console = browser.new_context(locale="zh-CN").new_page()
    console.goto(live_stack.url("web") + "/console/login")
    console.fill("#username", desk)
    console.fill("#password", PASSWORD)
    console.click("#sign-in")
    console.wait_for_selector("#queue-page")
    row = console.locator(f'#waiting tr.ticket[data-conversation="{_conversation(live_stack, sender)}"]')
    expect(row).to_have_count(1, timeout=10_000)
    row.locator("button.claim").click()
    console.wait_for_url("**/console/conversations/*")
    expect(console.locator("#live-status")).to_have_text("实时", timeout=10_000)
    console.fill("#reply-text", "您好，我是小李。长者食堂的用餐要提前一天预订。")
    console.click("#send-reply")
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
    assert _conversation(live_stack, sender) is None, "the preflight failed, so the POST itself was never sent"
