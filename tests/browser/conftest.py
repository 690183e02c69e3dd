"""The system's Chromium driven by Playwright, shared by every browser test."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

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
