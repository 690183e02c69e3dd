"""Test send: a staff member binds their own WeChat with a one-time code sent to the Official Account (through
the routing point's rewrite hook, which answers it: the bot never hears the code), then sends the campaign's
notice to it; the send is audited."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tests.admin.test_admin_pages import _campaign
from tests.policy.helpers import APP_ID, APP_SECRET, ServedStandin
from tests.serving import served
from tests.wechat.rasa_standin import RasaStandIn
from web import services
from web.admin.audit import AuditEntry
from web.conversations.models import Conversation, Message
from web.conversations.router import Inbound
from web.conversations.side_effects import SideEffects
from web.policy import tester
from web.rasa_client import RasaClient
from web.wechat_api import WechatApi

STAFF_WECHAT = "o_staff_boss"


@pytest.fixture
def rasa():
    bot = RasaStandIn()
    with served(bot.server):
        yield bot


@pytest.fixture
def standin():
    served = ServedStandin()
    yield served
    served.close()


def transcript(sessions, sender: str) -> list[tuple[str, str]]:
    with sessions() as sess:
        return [
            (m.author, m.text)
            for m in sess.scalars(
                select(Message).join(Conversation).where(Conversation.sender_id == sender).order_by(Message.id)
            )
        ]


def test_bind_my_wechat_then_send_myself_the_notice(app, sessions, signed_in, redis_client, standin, rasa):
    boss, token = signed_in("boss")
    created = boss.post("/admin/campaigns/new", data={**_campaign(), "csrf_token": token, "action": "save"})
    campaign = int(created.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    refused = boss.post(f"/admin/campaigns/{campaign}/test-send", data={"csrf_token": token})
    assert refused.status_code == 409 and "请先绑定您自己的微信" in refused.get_data(as_text=True)
    page = boss.post(f"/admin/campaigns/{campaign}/tester-code", data={"csrf_token": token}).get_data(as_text=True)
    code = re.search(r"<b>绑定测试(\d{6})</b>", page).group(1)
    # from the staff member's phone, through the routing point the WeChat channel calls (the platform's hooks)
    router = services.router(sessions, RasaClient((rasa.url,), ""), SideEffects({}))
    wrong = "绑定测试 000000" if code != "000000" else "绑定测试 111111"
    assert [m.text for m in router.handle(Inbound("wechat", STAFF_WECHAT, wrong))] == [tester.WRONG_CODE]
    assert 'id="tester-code-button"' in boss.get(f"/admin/campaigns/{campaign}").get_data(as_text=True)  # not bound
    assert [m.text for m in router.handle(Inbound("wechat", STAFF_WECHAT, f"绑定测试 {code}"))] == [tester.BOUND]
    assert rasa.messages_from(STAFF_WECHAT) == []  # the bot heard neither code (it used to be sent /greet)
    assert transcript(sessions, STAFF_WECHAT) == [
        ("resident", wrong),
        ("bot", tester.WRONG_CODE),
        ("resident", f"绑定测试 {code}"),
        ("bot", tester.BOUND),
    ]
    again = router.handle(Inbound("wechat", STAFF_WECHAT, f"绑定测试 {code}"))  # a code binds once
    assert [m.text for m in again] == [tester.WRONG_CODE]
    page = boss.get(f"/admin/campaigns/{campaign}").get_data(as_text=True)
    assert "发一条测试通知到我的微信" in page
    asked = []
    app.extensions["policy"].enqueue = lambda task, args: asked.append((task, args))
    sent = boss.post(f"/admin/campaigns/{campaign}/test-send", data={"csrf_token": token})
    assert sent.status_code == 302
    assert asked == [("policy.test_send", [campaign, STAFF_WECHAT, "李主管"])]
    assert "测试通知已经发到您绑定的微信" in boss.get(sent.headers["Location"]).get_data(as_text=True)
    with sessions() as sess:
        entry = sess.scalars(select(AuditEntry).where(AuditEntry.action == "test_send_campaign")).one()
        assert entry.detail == {"campaign": campaign, "benefit": "高龄津贴", "to": "boss"}
    # the worker's part, at the WeChat stand-in: the staff member accepted the campaign's template there
    standin.subscribe(STAFF_WECHAT, template_id="TPL")
    api = WechatApi(redis_client, standin.url, APP_ID, APP_SECRET, retries=0)
    tester.send(sessions, api, *asked[0][1])
    (notice,) = standin.notices_to(STAFF_WECHAT)
    assert "李主管您好" in str(notice)
