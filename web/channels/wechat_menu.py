"""The custom menu (``wechat_menu.yml``): which bot message a CLICK key or a VIEW url starts."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

MENU_FILE = Path(__file__).with_name("wechat_menu.yml")


@dataclass(frozen=True)
class MenuItem:
    name: str
    trigger: str


def _items(buttons: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for button in buttons:
        yield button
        yield from _items(button.get("sub_button") or [])


@cache
def _load(path: Path = MENU_FILE) -> tuple[dict[str, MenuItem], dict[str, MenuItem]]:
    clicks: dict[str, MenuItem] = {}
    views: dict[str, MenuItem] = {}
    for item in _items(yaml.safe_load(path.read_text(encoding="utf-8"))["button"]):
        if not item.get("trigger"):
            continue
        entry = MenuItem(str(item["name"]), str(item["trigger"]))
        if item.get("type") == "click":
            clicks[str(item["key"])] = entry
        elif item.get("type") == "view":
            views[str(item["url"])] = entry
    return clicks, views


def for_click(key: str) -> MenuItem | None:
    return _load()[0].get(key)


def for_view(url: str) -> MenuItem | None:
    return _load()[1].get(url)

