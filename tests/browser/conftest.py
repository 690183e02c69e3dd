"""Shared by the browser tests: the system's Chromium driven by Playwright, signing in, and on the live
stack an agent with an open desk and a resident on the WeChat stand-in (with the worker that sends to it)."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from sqlalchemy import delete, select
from sqlalchemy.orm import sessionmaker

from common.db import make_engine
from tests.handoff.conftest import open_all_day
from tests.serving import base_url, serve
from tools import stack
from tools.wechat_standin import WechatStandin
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


def _wait_for_worker(log: Path, proc, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(
                f"celery worker exited with {proc.returncode}: {log.read_text(errors='replace')[-2000:]}"
            )
        if log.exists() and "ready." in log.read_text(errors="replace"):
            return
        time.sleep(0.3)
    raise TimeoutError("celery worker not ready")


@pytest.fixture
def wechat(live_stack, tmp_path) -> Iterator[WechatStandin]:
    """The WeChat stand-in in front of the live stack's /wechat (the resident's side), and a Celery
    worker that sends the agent's replies through it."""
    env = live_stack.env
    standin = WechatStandin(
        live_stack.url("web") + "/wechat",
        env["WECHAT_TOKEN"],
        env["WECHAT_APP_ID"],
        env.get("WECHAT_APP_SECRET") or "demo-app-secret",
        env.get("WECHAT_ENCODING_AES_KEY", ""),
    )
    server = serve(standin.app)
    log_dir = tmp_path / "logs"
    worker = stack.start_process("worker", {**env, "WECHAT_API_BASE": base_url(server)}, log_dir)
    try:
        _wait_for_worker(log_dir / "worker.log", worker)
        yield standin
    finally:
        stack.stop_process(worker)
        server.shutdown()


def said_to(standin: WechatStandin, openid: str) -> list[str]:
    """The texts the resident ``openid`` received as customer-service messages."""
    return [m["text"]["content"] for m in standin.inbox(openid) if m.get("msgtype") == "text"]


def wait_said(standin: WechatStandin, openid: str, needle: str, timeout: float = 20) -> list[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        texts = said_to(standin, openid)
        if any(needle in t for t in texts):
            return texts
        time.sleep(0.1)
    raise AssertionError(f"the resident never received {needle!r}; got {said_to(standin, openid)}")
