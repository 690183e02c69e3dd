"""Admission control for web chat turns: WeChat's 5-second deadline holds under a web chat flood.

A web chat turn (``POST /webhooks/rest/webhook``) holds one of gunicorn's request threads for as
long as Rasa takes; ``/wechat`` needs a free one at once, since WeChat gives up after 5 seconds
and its passive reply is only worth anything within ``WECHAT_REPLY_BUDGET``. So each web process
lets at most ``WEB_CHAT_SLOTS`` web chat turns run at a time, fewer than gunicorn's threads
(the Procfile's ``--threads``; tests/wechat/test_web_chat_limits.py checks the defaults). A turn that
finds no free slot does not wait for one (a waiting request would hold a thread just the same):
it is answered at once, 503 with ``Retry-After`` and a warm text in the REST channel's error shape,
which the /chat page shows and the resident sends again. Each refusal costs the thread about a
millisecond, so the threads left over stay free for ``/wechat``, the console and the pages.
Why this and not a separate gunicorn for ``/wechat``: docs/security.md, section 5.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

from flask import Flask, jsonify

from web.texts import text as channel_text

RETRY_AFTER_SECONDS = 5  # a turn takes about a second; a few seconds later a slot is free again


def busy() -> Any:
    resp = jsonify(error="busy", message=channel_text("web_chat_busy"))
    resp.status_code, resp.headers["Retry-After"] = 503, str(RETRY_AFTER_SECONDS)
    return resp


def admit(app: Flask, endpoint: str, slots: int) -> None:
    """Let at most ``slots`` requests of ``endpoint`` (a registered view) run at a time in this process."""
    view: Callable[..., Any] = app.view_functions[endpoint]
    free = threading.BoundedSemaphore(slots)

    @functools.wraps(view)
    def admitted(*args: Any, **kwargs: Any) -> Any:
        if not free.acquire(blocking=False):
            return busy()  # counted in http_requests_total{endpoint="rest_channel.receive",status="503"}
        try:
            return view(*args, **kwargs)
        finally:
            free.release()

    app.view_functions[endpoint] = admitted
