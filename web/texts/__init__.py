"""The channels' own resident-facing texts, loaded from ``texts.yml`` (data an administrator edits)."""
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
