"""Bot turns as WeChat texts: WeChat's 2048-byte limit, order, numbered choices, the menu data."""

from __future__ import annotations

import yaml

from web.channels import wechat_menu
from web.rasa_client import BotMessage, Button
from web.texts import choices, wechat_text


def size(text: str) -> int:
    return len(text.encode("utf-8"))


def test_a_long_message_is_split_at_sentence_ends_within_2048_bytes_and_nothing_is_lost():
    sentence = "请带上户口本、身份证和近期二寸合影照片三张。"
    text = sentence * 120  # ~7900 bytes
    pieces = wechat_text.split(text)
    assert len(pieces) > 3 and all(size(p) <= 2048 for p in pieces)
    assert all(p.endswith("。") for p in pieces)
    assert "".join(pieces) == text


def test_a_sentence_longer_than_the_limit_is_cut_between_characters():
    pieces = wechat_text.split("长" * 1500)  # 4500 bytes, no sentence end: 682 + 682 + 136 characters
    assert [len(p) for p in pieces] == [682, 682, 136]
    assert "".join(pieces) == "长" * 1500


def test_short_messages_of_a_turn_are_packed_in_order():
    turn = [BotMessage(text="第一条"), BotMessage(text="第二条"), BotMessage(text="第三条")]
    assert wechat_text.render_turn(turn) == ["第一条\n\n第二条\n\n第三条"]
    big = ["甲" * 400, "乙" * 400, "丙" * 400]  # 1200 bytes each: one per message
    assert [t[0] for t in wechat_text.pack(big)] == ["甲", "乙", "丙"]


def test_buttons_become_numbered_choices_and_url_buttons_links():
    message = BotMessage(
        text="您要办哪一种？",
        buttons=(
            Button("结婚登记", '/marriage_book{"marriage_type":"结婚"}'),
            Button("离婚登记", '/marriage_book{"marriage_type":"离婚"}'),
            Button("看办事指南", "https://example.gov.cn/guide"),
        ),
    )
    text = wechat_text.message_text(message)
    assert "1. 结婚登记" in text and "2. 离婚登记" in text
    assert '<a href="https://example.gov.cn/guide">看办事指南</a>' in text


def test_numbers_residents_type_are_understood():
    for said, number in [("1", 1), ("２", 2), ("三", 3), ("第2个", 2), (" 1。", 1), ("选3", 3)]:
        assert choices.parse_number(said) == number
    # spoken with a particle or a word of praise (issue 22's conversation suite), and the last one
    for said, number in [
        ("就第一个吧", 1),
        ("第一个吧", 1),
        ("那就2吧", 2),
        ("第一个，很好", 1),
        ("最后一个", choices.LAST),
    ]:
        assert choices.parse_number(said) == number
    for said in ["12345", "我选一个", "一共几个", "", "1号楼怎么走", "就两个吧", "第一个不对", "第一个，不要"]:
        assert choices.parse_number(said) is None


def test_the_menu_respects_wechats_limits_and_every_click_has_a_trigger():
    menu = yaml.safe_load(wechat_menu.MENU_FILE.read_text(encoding="utf-8"))["button"]
    assert 1 <= len(menu) <= 3
    for top in menu:
        assert size(top["name"]) <= 16 and len(top.get("sub_button", [])) <= 5
        for item in top.get("sub_button", []):
            assert size(item["name"]) <= 60
            if item["type"] == "click":
                assert size(item["key"]) <= 128 and item["trigger"].startswith("/")
                assert wechat_menu.for_click(item["key"]).trigger == item["trigger"]


def test_a_spoken_choice_picks_the_payload_offered(redis_client):
    offered = choices.Choices(redis_client)
    offered.remember(
        "o-choice", [Button("普陀区婚姻登记中心（地址）", "普陀区婚姻登记中心"), Button("宝山", "宝山区婚姻登记中心")]
    )
    assert offered.resolve("o-choice", "就第一个吧") == "普陀区婚姻登记中心"
    assert offered.resolve("o-choice", "最后一个") == "宝山区婚姻登记中心"
    assert offered.resolve("o-choice", "第三个") is None
