"""The signed link to verification, and the side effect that writes it into the chat."""

from __future__ import annotations

import time

from web.conversations.models import Conversation
from web.identity.links import LINK_LIFETIME_SECONDS, BindingLinks, VerifyRequest
from web.identity.requests import ask_to_verify

LINKS = BindingLinks("https://civic.test", "test-secret")


def _token(url: str) -> str:
    return url.rsplit("/", 1)[1]


def test_a_link_carries_the_request_it_was_made_for():
    asked = VerifyRequest("oAbc", '/assistance_apply{"assistance_type": "低保"}', "低保申请")
    url = LINKS.for_request(asked)
    assert url.startswith("https://civic.test/identity/bind/")
    assert LINKS.request(_token(url)) == asked


def test_a_changed_foreign_or_old_link_carries_nothing(monkeypatch):
    token = _token(LINKS.for_request(VerifyRequest("oAbc", "/assistance_progress", "查申请进度")))
    assert LINKS.request(token[:-2] + ("AA" if not token.endswith("AA") else "BB")) is None
    assert BindingLinks("https://civic.test", "another-secret").request(token) is None
    later = time.time() + LINK_LIFETIME_SECONDS + 5
    monkeypatch.setattr(time, "time", lambda: later)
    assert LINKS.request(token) is None


def test_wechat_and_chat_page_residents_get_a_link_and_a_bare_rest_sender_is_sent_to_the_chat_page():
    request = {"resume": "/assistance_progress", "what": "查申请进度"}
    for sender, channel in (("oAbc", "wechat"), ("web:page-0123abcd", "web")):
        said = ask_to_verify(LINKS, None, Conversation(sender_id=sender, channel=channel, state="bot"), request)
        url = said.split('href="')[1].split('"')[0]
        assert LINKS.request(_token(url)) == VerifyRequest(sender, "/assistance_progress", "查申请进度")
    web = ask_to_verify(LINKS, None, Conversation(sender_id="web:x", channel="web", state="bot"), request)
    assert "href" not in web and "https://civic.test/chat" in web and "微信公众号" in web
