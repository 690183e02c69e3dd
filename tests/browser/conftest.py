"""The system's Chromium driven by Playwright, shared by every browser test."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from sqlalchemy import delete, select
from sqlalchemy.orm import sessionmaker

from common.db import make_engine
from tests.handoff.conftest import open_all_day
from web.console import accounts
from web.conversations.models import Conversation
from web.handoff.models import Agent, WorkingHours

AGENT, PASSWORD = "browser_agent", "browser-agent-password"  # the live stack's agent (the `agent` fixture)
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# No calls home: this machine's network is closed, and Chromium would wait on them.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def browser() -> Iterator[Browser]:
    if not os.path.exists(CHROMIUM):
        pytest.fail("Chromium is missing: `make browser` installs it")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def sign_in(page: Page, web_url: str, username: str, password: str) -> None:
    """Sign in on the agent console's login page (also the door to /admin/)."""
    page.goto(web_url + "/console/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit], form button")
    page.wait_for_load_state()


def sign_in_agent(page: Page, web_url: str) -> None:
    """Sign the ``agent`` fixture's account in on the console and wait for the queue."""
    sign_in(page, web_url, AGENT, PASSWORD)
    page.wait_for_selector("#queue-page")


@pytest.fixture
def agent(live_stack) -> Iterator[str]:
    """An agent account on the live stack and a desk open around the clock (so a test does not depend
    on the hour); the account is kept between tests, since audit entries name it."""
    sessions = sessionmaker(make_engine(live_stack.env["DATABASE_URL"]), expire_on_commit=False)
    with sessions.begin() as sess:
        saved = [(h.day, h.opens, h.closes) for h in sess.query(WorkingHours)]
        open_all_day(sess)
        if sess.scalar(select(Agent.id).where(Agent.username == AGENT)) is None:
            accounts.create(sess, AGENT, PASSWORD, "agent", "小王")
    yield AGENT
    with sessions.begin() as sess:
        sess.execute(delete(WorkingHours))
        sess.add_all(WorkingHours(day=d, opens=o, closes=c) for d, o, c in saved)


def conversation_id(live_stack, sender_id: str) -> int | None:
    """The live stack's conversation of ``sender_id`` (None before its first message)."""
    with sessionmaker(make_engine(live_stack.env["DATABASE_URL"]))() as sess:
        return sess.scalar(select(Conversation.id).where(Conversation.sender_id == sender_id))
