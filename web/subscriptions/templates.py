"""The subscription templates the account uses (``templates.yml``: data an administrator edits)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

FILE = Path(__file__).with_name("templates.yml")


@dataclass(frozen=True)
class NoticeTemplate:
    key: str
    template_id: str
    title: str
    fields: dict[str, str]  # data key (thing1 …) -> what it holds, for people reading the page


class UnknownTemplate(KeyError):
    pass


@cache
def all_templates() -> dict[str, NoticeTemplate]:
    raw = yaml.safe_load(FILE.read_text(encoding="utf-8")) or {}
    return {
        key: NoticeTemplate(key, str(v["template_id"]), str(v.get("title", key)), dict(v.get("fields") or {}))
        for key, v in raw.items()
    }


def get(key: str) -> NoticeTemplate:
    try:
        return all_templates()[key]
    except KeyError as exc:
        raise UnknownTemplate(key) from exc
