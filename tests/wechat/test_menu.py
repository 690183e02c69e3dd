"""The custom menu: what is published to WeChat is the menu the channel maps taps from."""

from __future__ import annotations

import json
import uuid

import yaml

from common import settings
from tests.serving import serve
from tools.wechat_standin import WechatStandin
from web.channels import wechat_menu

from .conftest import WECHAT_REDIS_URL


def test_show_prints_the_menu_without_our_triggers_and_every_key_starts_a_flow(capsys):
    assert wechat_menu.main(["show"]) == 0
    shown = json.loads(capsys.readouterr().out)
    items = [sub for top in shown["button"] for sub in top.get("sub_button", [top])]
    assert items and all("trigger" not in item for item in items)
    pages = [item for item in items if item["type"] == "view"]
    base = settings.load().public_base_url
    # the platform's own pages: 救助养老 → 订阅办事提醒 (subscription notices), 我的 → 实名认证
    assert [item["url"] for item in pages] == [base + "/subscriptions/", base + "/identity/"]
    for item in items:
        if item["type"] == "click":
            found = wechat_menu.for_click(item["key"])
            assert found is not None and found.name == item["name"] and found.trigger.startswith("/")


def _standin(monkeypatch) -> tuple[WechatStandin, object]:
    app_id = "wx_menu_" + uuid.uuid4().hex[:8]
    standin = WechatStandin("http://127.0.0.1:9/unused", "t", app_id, "menu-secret")
    server = serve(standin.app)
    for name, value in {
        "WECHAT_API_BASE": f"http://127.0.0.1:{server.server_port}",
        "WECHAT_APP_ID": app_id,
        "WECHAT_APP_SECRET": "menu-secret",
        "REDIS_URL": WECHAT_REDIS_URL,
    }.items():
        monkeypatch.setenv(name, value)
    return standin, server


def test_publish_replaces_the_accounts_menu_as_written(monkeypatch, capsys):
    standin, server = _standin(monkeypatch)
    try:
        assert wechat_menu.main(["publish"]) == 0
        assert standin.menu == wechat_menu.for_wechat(settings.load().public_base_url)
        assert standin.menu["button"][0]["name"] == "婚姻登记"  # Chinese as written, not \u escapes
        assert "menu published" in capsys.readouterr().out
    finally:
        server.shutdown()


def test_a_menu_wechat_refuses_is_reported_with_its_errcode(monkeypatch, capsys, tmp_path):
    standin, server = _standin(monkeypatch)
    menu = yaml.safe_load(wechat_menu.MENU_FILE.read_text(encoding="utf-8"))
    menu["button"].append({"type": "click", "name": "第四项", "key": "FOURTH"})  # WeChat allows three
    too_many = tmp_path / "menu.yml"
    too_many.write_text(yaml.safe_dump(menu, allow_unicode=True), encoding="utf-8")
    long_name = tmp_path / "long.yml"
    menu["button"] = menu["button"][:3]
    menu["button"][1]["sub_button"][0]["name"] = "申请低保特困临时救助以及其他各类社会救助等"  # 21 characters: 63 bytes
    long_name.write_text(yaml.safe_dump(menu, allow_unicode=True), encoding="utf-8")
    try:
        assert wechat_menu.main(["publish", "--file", str(too_many)]) == 1
        assert "40016" in capsys.readouterr().err
        assert wechat_menu.main(["publish", "--file", str(long_name)]) == 1
        assert "40025" in capsys.readouterr().err
        assert standin.menu is None
    finally:
        server.shutdown()
