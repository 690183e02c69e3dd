"""A bureau's portal page embedding a chat widget, served from another origin than the web app's,
twice: once from an origin on ``CHAT_ALLOWED_ORIGINS``, once from one that is not (issue 26).

The widget talks to a Procfile process of its own (``web`` for the REST channel, ``socketio`` for
the Socket.IO channel), started on the live stack with that allow-list; an agent answers in the
stack's own console.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from werkzeug.exceptions import NotFound
from werkzeug.middleware.shared_data import SharedDataMiddleware

from tests.browser.conftest import sign_in_agent
from tests.serving import serve
from tools import stack


@dataclass(frozen=True)
class Portal:
    allowed: str  # the bureau's portal: its origin is on CHAT_ALLOWED_ORIGINS
    other: str  # the same page on an origin that is not
    web: str  # the process the widget talks to


@contextmanager
def widget_portal(live_stack, workdir: Path, process: str, assets: dict[str, Path], page: str) -> Iterator[Portal]:
    """Serve ``page`` (HTML with one ``%s``: the address of ``process``, as JSON) and ``assets``
    (name → the npm package's file) from two origins, and run ``process`` with the first allowed."""
    missing = [str(path) for path in assets.values() if not path.exists()]
    if missing:
        pytest.fail(f"{missing} missing: `make npm-packages` installs the widgets (npm ci in tests/browser/widgets)")
    port = stack.free_port()
    web = f"http://127.0.0.1:{port}"
    site = workdir / "portal"
    site.mkdir()
    for name, path in assets.items():
        (site / name).write_bytes(path.read_bytes())
    (site / "index.html").write_text(page % json.dumps(web), encoding="utf-8")
    allowed, other = (serve(SharedDataMiddleware(NotFound(), {"/": str(site)})) for _ in range(2))
    allowed_origin = f"http://127.0.0.1:{allowed.server_port}"
    env = {**live_stack.env, f"{process.upper()}_PORT": str(port), "CHAT_ALLOWED_ORIGINS": allowed_origin}
    proc = stack.start_process(process, env, workdir / "logs")
    try:
        stack.wait_http(web + "/readyz", 60, proc)
        yield Portal(allowed_origin + "/index.html", f"http://127.0.0.1:{other.server_port}/index.html", web)
    finally:
        stack.stop_process(proc)
        allowed.shutdown()
        other.shutdown()


def agent_claims_and_replies(browser: Browser, web_url: str, conversation: int | None, reply: str) -> Page:
    """The ``agent`` fixture's account claims the waiting ``conversation`` in the console at ``web_url``
    and sends ``reply``; returns the console's page (the conversation open)."""
    console = browser.new_context(locale="zh-CN").new_page()
    sign_in_agent(console, web_url)
    row = console.locator(f'#waiting tr.ticket[data-conversation="{conversation}"]')
    expect(row).to_have_count(1, timeout=10_000)
    row.locator("button.claim").click()
    console.wait_for_url("**/console/conversations/*")
    expect(console.locator("#live-status")).to_have_text("实时", timeout=10_000)
    console.fill("#reply-text", reply)
    console.click("#send-reply")
    return console
