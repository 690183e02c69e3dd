"""An expired or garbled form token is one answer everywhere: 400 and a page that says so in Chinese,
never a 500 nor Werkzeug's English "Bad Request" (security review, item 8).

Flask-WTF's tokens carry the time they were made; a token made two hours ago is what a resident
sends who taps a campaign link's button long after opening it.
"""

from __future__ import annotations

import time

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from tests.admin.conftest import CSRF
from tests.admin.test_admin_pages import _campaign, campaign_link
from web.policy.models import PolicyCampaign, PolicyDelivery

pytestmark = pytest.mark.usefixtures("redis_client")


def aged_token(app, client, seconds: int = 7200) -> str:
    """This session's CSRF token as Flask-WTF signs it, but signed ``seconds`` ago."""

    class Then(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - seconds

    with client.session_transaction() as session:
        raw = session["csrf_token"]
    return URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token", signer=Then).dumps(raw)


def assert_warm_page(resp) -> str:
    text = resp.get_data(as_text=True)
    assert resp.status_code == 400, (resp.status_code, text[:300])
    assert "Bad Request" not in text and "CSRF" not in text and '<html lang="zh-CN">' in text, text[:500]
    return text


def test_a_resident_who_taps_the_campaign_button_an_hour_later_is_asked_to_open_the_link_again(app, sessions):
    link = campaign_link(app, sessions, payload="/greet")
    resident = app.test_client()
    assert "我要申请" in resident.get(link).get_data(as_text=True)
    for token in (aged_token(app, resident), "garbled", ""):
        text = assert_warm_page(resident.post(link, data={"csrf_token": token}))
        assert "页面已过期，请重新打开" in text and "请重新打开消息里的链接" in text
    with sessions() as sess:  # the expired tap was not taken for a reply
        assert sess.query(PolicyDelivery).one().replied_at is None


def test_the_token_limit_is_what_expires_it(app, sessions):
    """The same aged token passes with a longer limit: it is its age the page refuses, nothing else."""
    link = campaign_link(app, sessions, payload="")
    resident = app.test_client()
    resident.get("/console/login")  # a page with a form: the session's token (this campaign's page has none)
    token = aged_token(app, resident)
    app.config["WTF_CSRF_TIME_LIMIT"] = 3 * 3600
    assert resident.post(link, data={"csrf_token": token}).status_code == 404  # through: no conversation to start
    app.config["WTF_CSRF_TIME_LIMIT"] = 3600
    assert_warm_page(resident.post(link, data={"csrf_token": token}))


def test_the_web_chats_sign_out_with_an_expired_page_answers_in_chinese(app):
    visitor = app.test_client()
    visitor.get("/chat")
    visitor.get("/console/login")  # the session's token (the sign-out form shows only to a signed-in page)
    for token in (aged_token(app, visitor), "garbled"):
        text = assert_warm_page(visitor.post("/chat/signout", data={"csrf_token": token}))
        assert "页面已过期，请重新打开" in text and "刷新聊天页面" in text


def test_staff_get_the_campaign_form_back_as_they_typed_it(app, signed_in, sessions):
    boss, _ = signed_in("boss")
    typed = {**_campaign(), "name": "九十岁以上老人告知", "rule": '{"age": {"gte": 90}}', "action": "save"}
    resp = boss.post("/admin/campaigns/new", data={**typed, "csrf_token": aged_token(app, boss)})
    text = assert_warm_page(resp)
    assert "页面已过期" in text and 'value="九十岁以上老人告知"' in text and "&#34;gte&#34;: 90" in text
    with sessions() as sess:
        assert sess.query(PolicyCampaign).count() == 0  # nothing saved by the expired post
    returned = CSRF.search(text).group(1)  # the form comes back with a token that works: saved with one click
    assert boss.post("/admin/campaigns/new", data={**typed, "csrf_token": returned}).status_code == 302


def test_staff_on_other_pages_see_what_they_typed_and_agents_pages_get_json(app, signed_in):
    root, _ = signed_in("root")
    resp = root.post(
        "/console/canned",
        data={"title": "问候", "text": "您好，我是民政热线的小王", "csrf_token": aged_token(app, root)},
    )
    text = assert_warm_page(resp)
    assert "页面已过期" in text and "您好，我是民政热线的小王" in text  # shown to copy, not sent again
    agent, _ = signed_in("agent")
    reply = agent.post(
        "/console/conversations/1/reply",
        json={"text": "您好"},
        headers={"Accept": "application/json", "X-CSRFToken": aged_token(app, agent)},
    )
    assert reply.status_code == 400 and reply.get_json() == {
        "error": "expired",
        "message": "页面已过期，请刷新页面后再试一次。",
    }
