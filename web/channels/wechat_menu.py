"""The custom menu (``wechat_menu.yml``): which bot message a CLICK key or a VIEW url starts,
and the command that publishes it to the Official Account (WeChat's menu API)::

    .venv/bin/python -m web.channels.wechat_menu show      # the JSON WeChat will get
    .venv/bin/python -m web.channels.wechat_menu publish   # replace the account's menu

``publish`` uses the platform's settings (``WECHAT_APP_ID``, ``WECHAT_APP_SECRET``,
``WECHAT_API_BASE``, ``REDIS_URL`` for the shared access_token). WeChat checks the menu
(3 items, 5 sub-items each, names of 16 / 60 bytes …) and a refusal is printed with its
errcode. Residents see a new menu after they next open the account (WeChat caches it).
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from common import redis_client, settings
from web.wechat_api import WechatApi, WechatApiError

MENU_FILE = Path(__file__).with_name("wechat_menu.yml")
BASE_PLACEHOLDER = "{PUBLIC_BASE_URL}"


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


def for_wechat(public_base_url: str, path: Path = MENU_FILE) -> dict[str, Any]:
    """The menu as WeChat's ``/cgi-bin/menu/create`` takes it: ours without the ``trigger`` fields,
    the platform's pages (``{PUBLIC_BASE_URL}/…``) at ``public_base_url``."""
    menu = copy.deepcopy(yaml.safe_load(path.read_text(encoding="utf-8")))
    for item in _items(menu["button"]):
        item.pop("trigger", None)
        if "url" in item:
            item["url"] = str(item["url"]).replace(BASE_PLACEHOLDER, public_base_url.rstrip("/"))
    return {"button": menu["button"]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m web.channels.wechat_menu", description="The Official Account's menu"
    )
    parser.add_argument("command", choices=("show", "publish"))
    parser.add_argument(
        "--file", type=Path, default=MENU_FILE, help="the menu file (default: the one the channel reads)"
    )
    args = parser.parse_args(argv)
    config = settings.load()
    menu = for_wechat(config.public_base_url, args.file)
    if args.command == "show":
        print(json.dumps(menu, ensure_ascii=False, indent=2))
        return 0
    api = WechatApi(
        redis_client.connect(config.redis_url), config.wechat_api_base, config.wechat_app_id, config.wechat_app_secret
    )
    try:
        api.create_menu(menu)
    except WechatApiError as exc:
        print(f"WeChat refused the menu: {exc}", file=sys.stderr)
        return 1
    print(f"menu published to {config.wechat_app_id}: {len(menu['button'])} items")
    return 0


def for_click(key: str) -> MenuItem | None:
    return _load()[0].get(key)


def for_view(url: str) -> MenuItem | None:
    return _load()[1].get(url)


if __name__ == "__main__":
    sys.exit(main())
