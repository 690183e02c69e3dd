"""What residents read from the platform itself, whichever way it reaches them.

``text(key)``: the platform's own resident-facing texts, loaded from ``texts.yml`` (data an
administrator edits); ``wechat_text``: a bot turn as WeChat text messages; ``choices``: its
buttons as numbered choices and a resident's number mapped back. The channels' replies
(web/channels/) and the messages sent outside a request (web/outbound/) both use them, so
they sit below both.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

TEXTS_FILE = Path(__file__).with_name("texts.yml")


@cache
def _texts() -> dict[str, str]:
    return {key: str(value) for key, value in yaml.safe_load(TEXTS_FILE.read_text(encoding="utf-8")).items()}


def text(key: str) -> str:
    return _texts()[key]
