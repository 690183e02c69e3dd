"""Test send: a staff member binds their own WeChat with a one-time code sent to the Official Account (through
the routing point's rewrite hook), then sends the campaign's notice to it; the send is audited."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tests.admin.test_admin_pages import _campaign
from tests.policy.helpers import APP_ID, APP_SECRET, ServedStandin
from web.admin.audit import AuditEntry
from web.conversations.router import Inbound
from web.policy import reply, tester
from web.wechat_api import WechatApi

STAFF_WECHAT = "o_staff_boss"


@pytest.fixture
def standin():
    served = ServedStandin()
    yield served
    served.close()


def test_bind_my_wechat_then_send_myself_the_notice(app, sessions, signed_in, redis_client, standin):
    boss, token = signed_in("boss")
    created = boss.post("/admin/campaigns/new", data={**_campaign(), "csrf_token": token, "action": "save"})
    campaign = int(created.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    refused = boss.post(f"/admin/campaigns/{campaign}/test-send", data={"csrf_token": token})
    assert refused.status_code == 409 and "请先绑定您自己的微信" in refused.get_data(as_text=True)
    page = boss.post(f"/admin/campaigns/{campaign}/tester-code", data={"csrf_token": token}).get_data(as_text=True)
    code = re.search(r"<b>绑定测试(\d{6})</b>", page).group(1)
    engine = app.extensions["database"].engine
    with engine.connect() as conn:  # from the staff member's phone, through the routing point's rewrite hook
        wrong, no_note = reply.rewrite(
            conn, Inbound("wechat", STAFF_WECHAT, "绑定测试 000000" if code != "000000" else "绑定测试 111111")
        )
        said, note = reply.rewrite(conn, Inbound("wechat", STAFF_WECHAT, f"绑定测试 {code}"))
    assert no_note is None and wrong.text.startswith("绑定测试")  # an unknown code binds nothing
    assert said.text == tester.ANSWER and said.transcript == f"绑定测试 {code}"
    with sessions.begin() as sess:
        note(sess)
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
