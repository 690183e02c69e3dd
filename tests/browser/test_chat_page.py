"""The /chat page in real Chromium: talk to the bot, use a choice button, switch to large font,
and receive a message sent later (Outbound → the conversation's mailbox → the page's polling).

The page runs on a real web process (the Procfile's command) in front of a Rasa stand-in
that answers as the test asks: the subject is the page and its channel, not the NLU.
"""

from __future__ import annotations

import os
import uuid

import pytest
import redis
import requests
from playwright.sync_api import expect
from sqlalchemy.orm import sessionmaker
from wechat.rasa_standin import RasaStandIn

from common.db import make_engine
from common.migrate import upgrade
from tests.serving import serve
from tools import stack
from web.outbound import Outbound
from web.rasa_client import BotMessage

pytestmark = pytest.mark.browser

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15").rsplit("/", 1)[0] + "/13"


@pytest.fixture(scope="module")
def chat_site(tmp_path_factory, redis_url):
    workdir = tmp_path_factory.mktemp("chat")
    db_url = f"sqlite:///{workdir / 'platform.db'}"
    upgrade("platform", db_url)
    rasa = RasaStandIn()
    serve(rasa.server)
    port = stack.free_port()
    env = stack.stack_env(
        {**os.environ, "DATABASE_URL": db_url, "REDIS_URL": REDIS_URL, "RASA_URL": rasa.url},
        {"WEB_PORT": port, "RASA_PORT": 0, "ACTIONS_PORT": 0, "BACKOFFICE_PORT": 0},
    )
    web = stack.start_process("web", env, workdir / "logs")
    try:
        stack.wait_http(f"http://127.0.0.1:{port}/readyz", 60, web)
        outbound = Outbound(sessionmaker(make_engine(db_url)), redis.Redis.from_url(REDIS_URL), lambda *_: None)
        yield f"http://127.0.0.1:{port}", rasa, outbound
    finally:
        stack.stop_process(web)
        rasa.server.shutdown()


@pytest.fixture
def page(browser):
    return browser.new_context(locale="zh-CN").new_page()


def test_a_resident_chats_picks_a_choice_uses_large_font_and_gets_a_later_message(page, chat_site):
    url, rasa, outbound = chat_site
    page.goto(url + "/chat")
    sender = "web:" + page.locator("#chat").get_attribute("data-sender")
    rasa.behave(
        sender,
        replies=[
            {
                "text": "您要办哪种登记？",
                "buttons": [
                    {"title": "结婚登记", "payload": "/marriage_book"},
                    {"title": "补领结婚证", "payload": "/marriage_reissue"},
                ],
            }
        ],
    )

    page.get_by_label("输入您想问的话").fill("我要预约")
    page.get_by_label("输入您想问的话").press("Enter")
    log = page.get_by_role("log")
    expect(log).to_contain_text("您要办哪种登记？")
    rasa.behave(sender)  # from now on it echoes
    page.get_by_role("button", name="补领结婚证").click()
    expect(log).to_contain_text("收到：/marriage_reissue")
    assert rasa.messages_from(sender) == ["我要预约", "/marriage_reissue"]

    toggle = page.get_by_role("button", name="大字模式")
    before = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "true")
    assert page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)") >= before * 1.3

    note = f"工作人员回复：您的材料已经收到了。{uuid.uuid4().hex[:4]}"
    outbound.deliver(sender, [BotMessage(text=note)], reason="agent")
    expect(log).to_contain_text(note, timeout=10_000)  # polled from the mailbox, no reload

    page.reload()  # same conversation after a reload: large font kept, what was shown kept, nothing twice
    expect(page.get_by_role("button", name="大字模式")).to_have_attribute("aria-pressed", "true")
    page.wait_for_timeout(4000)  # more than one polling interval
    assert page.get_by_role("log").inner_text().count(note) == 1
    assert "您要办哪种登记？" in page.get_by_role("log").inner_text()
    page.get_by_label("输入您想问的话").fill("还在吗")
    page.get_by_role("button", name="发送").click()
    expect(page.get_by_role("log")).to_contain_text("收到：还在吗")
    assert rasa.messages_from(sender)[-1] == "还在吗"  # the reloaded page kept its sender


def test_the_mailbox_is_only_readable_with_the_pages_token(chat_site):
    url, _, _ = chat_site
    assert requests.get(url + "/chat/messages", headers={"X-Chat-Token": "forged"}, timeout=10).status_code == 403
    assert requests.get(url + "/chat/messages", timeout=10).status_code == 403
    assert requests.get(url + "/chat/static/chat/chat.js", timeout=10).status_code == 200  # served locally, no CDN


def test_high_contrast_is_remembered_and_a_bot_message_is_read_aloud(page, chat_site):
    url, rasa, _ = chat_site
    page.goto(url + "/chat")
    sender = "web:" + page.locator("#chat").get_attribute("data-sender")
    background = "getComputedStyle(document.body).backgroundColor"
    assert page.evaluate(background) == "rgb(255, 255, 255)"
    toggle = page.get_by_role("button", name="高对比度")
    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "true")
    assert page.evaluate(background) == "rgb(0, 0, 0)"
    page.get_by_role("button", name="大字模式").click()
    page.reload()  # both kept in this browser
    expect(page.get_by_role("button", name="高对比度")).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_role("button", name="大字模式")).to_have_attribute("aria-pressed", "true")
    assert page.evaluate(background) == "rgb(0, 0, 0)"

    assert page.evaluate("typeof window.speechSynthesis") == "object"  # Chromium offers speech synthesis
    rasa.behave(sender, replies=[{"text": "婚姻登记处周一到周五上午九点开门。"}])
    page.get_by_label("输入您想问的话").fill("几点开门")
    page.get_by_label("输入您想问的话").press("Enter")
    expect(page.get_by_role("log")).to_contain_text("婚姻登记处周一到周五上午九点开门。")
    # Observe the browser's own API: record what is handed to speechSynthesis.speak, then let it speak.
    page.evaluate(
        """() => { window.spoken = []; const speak = speechSynthesis.speak.bind(speechSynthesis);
        speechSynthesis.speak = (u) => { window.spoken.push({text: u.text, lang: u.lang}); speak(u); }; }"""
    )
    page.get_by_role("button", name="朗读这条回复").click()
    assert page.evaluate("window.spoken") == [{"text": "婚姻登记处周一到周五上午九点开门。", "lang": "zh-CN"}]
    page.get_by_role("button", name="高对比度").click()
    page.reload()
    expect(page.get_by_role("button", name="高对比度")).to_have_attribute("aria-pressed", "false")
    expect(page.get_by_role("button", name="朗读这条回复")).to_have_count(1)  # the message shown again, with its button


def test_no_read_aloud_button_where_the_browser_cannot_speak(browser, chat_site):
    url, rasa, _ = chat_site
    context = browser.new_context(locale="zh-CN")
    context.add_init_script("delete window.speechSynthesis; delete window.SpeechSynthesisUtterance;")
    page = context.new_page()
    page.goto(url + "/chat")
    sender = "web:" + page.locator("#chat").get_attribute("data-sender")
    rasa.behave(sender, replies=[{"text": "您好，请问要办什么事？"}])
    page.get_by_label("输入您想问的话").fill("你好")
    page.get_by_label("输入您想问的话").press("Enter")
    expect(page.get_by_role("log")).to_contain_text("您好，请问要办什么事？")
    assert page.get_by_role("button", name="朗读这条回复").count() == 0
    context.close()


def test_a_photo_chosen_on_the_page_reaches_the_documents_and_the_answer_is_shown(page, chat_site, tmp_path):
    """The page's 交申请材料 control posts the file to /chat/documents with the page's token; this site
    has no back-office, so the answer is the documents' "cannot look up your application" (docs/documents.md)."""
    from web.documents.intake import TEXTS

    url, rasa, _ = chat_site
    page.goto(url + "/chat")
    sender = "web:" + page.locator("#chat").get_attribute("data-sender")
    photo = tmp_path / "户口本.jpg"
    photo.write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9")
    page.get_by_label("交申请材料：拍一张照片，或选一个文件（照片或 PDF）").set_input_files(str(photo))
    log = page.get_by_role("log")
    expect(log).to_contain_text("[照片] 户口本.jpg")
    expect(log).to_contain_text(TEXTS["unavailable"], timeout=15_000)
    assert rasa.messages_from(sender) == []  # a photo is the platform's, never the bot's
