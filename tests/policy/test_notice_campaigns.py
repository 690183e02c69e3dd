"""A cold 政策找人 push (issue 23, 'Done when'): refused as a template message — by the platform before
sending, and by WeChat's stand-in — and sent as a subscription notice to the residents who opted in,
only; a campaign whose text breaks the notice's field rules cannot be started."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from tests.policy.helpers import APP_ID, APP_SECRET, ServedStandin, new_campaign, sender_for, start, subscribe
from tests.policy.test_delivery import clock, deliveries, elders, run_all  # noqa: F401  (fixtures)
from web.outbound import Outbound
from web.outbound.models import OutboundMessage
from web.outbound.service import Template, TemplateRefused
from web.policy import campaigns
from web.policy.delivery import message_body
from web.policy.models import PolicyCampaign, PolicyDelivery
from web.wechat_api import WechatApi, WechatApiError


@pytest.fixture
def standin():
    served = ServedStandin()
    yield served
    served.close()


def test_a_cold_push_goes_as_a_notice_to_opted_in_residents_only(platform, elders, standin, redis_client, clock):  # noqa: F811
    sessions = platform
    subscribe(sessions, standin, "o1", "o2")
    standin.standin.residents.setdefault("o3", type(standin.standin.residents["o1"])())  # follows, never opted in
    cid = new_campaign(sessions)
    counts = start(sessions, elders, cid)
    assert (counts["reachable"], counts["not_opted_in"], counts["no_wechat"]) == (2, 2, 1)
    run_all(sender_for(sessions, redis_client, standin.url), sessions, cid)
    assert {o: (d.status, d.channel) for o, d in deliveries(sessions, cid).items()} == {
        "o1": ("sent", "notice"),
        "o2": ("sent", "notice"),
    }
    assert [len(standin.notices_to(o)) for o in ("o1", "o2", "o3", "o4")] == [1, 1, 0, 0]
    with standin.standin.lock:
        kinds = {c["kind"] for c in standin.standin.api_calls}
    assert kinds == {"notice"}  # no template message, to anyone
    with sessions() as sess:
        c = sess.get(PolicyCampaign, cid)
        assert c.counts["not_opted_in"] == 2 and c.state == "completed"
        notice = message_body(c, "居民3", "http://web.test/policy/r/x")

    # The same push as a template message: the platform refuses it before anything is written …
    outbound = Outbound(sessions, redis_client, lambda task, args: None)
    with pytest.raises(TemplateRefused) as refused:
        outbound.send_template("o3", Template(notice["template_id"], notice["data"]), reason="campaign")
    assert "订阅通知" in refused.value.problems[0]
    with sessions() as sess:
        assert sess.scalar(select(OutboundMessage.id).where(OutboundMessage.recipient == "o3")) is None
    # … and so does WeChat (the stand-in) for the template the campaigns used to send (first / remark).
    api = WechatApi(redis_client, standin.url, APP_ID, APP_SECRET, retries=0)
    old_style = {"first": {"value": "居民3您好，您可能可以领高龄津贴"}, "remark": {"value": "回复“申请”即可办理"}}
    with pytest.raises(WechatApiError) as wechat:
        api._post("/cgi-bin/message/template/send", {"touser": "o3", "template_id": "TPL_old", "data": old_style})
    assert wechat.value.errcode == 47003


def test_a_campaign_whose_text_breaks_the_field_rules_cannot_start(platform, elders, standin, redis_client, clock):  # noqa: F811
    sessions = platform
    subscribe(sessions, standin, "o1", "o2")
    cid = new_campaign(
        sessions,
        template_fields={"thing1": "{name}您好，您可能符合{benefit}的申请条件，回复申请即可办理", "phrase2": "待申请"},
    )
    with pytest.raises(campaigns.TransitionRefused) as refused:
        with sessions.begin() as sess:
            campaigns.transition(sess, cid, "start")
    assert refused.value.message.startswith("订阅通知的内容不符合微信的规定，活动不能开始")
    assert "thing1" in refused.value.message and "20 个字以内" in refused.value.message
    with sessions() as sess:
        assert sess.get(PolicyCampaign, cid).state == "draft"
    assert deliveries(sessions, cid) == {}


def test_a_name_that_makes_a_field_too_long_skips_that_resident(platform, elders, standin, redis_client, clock):  # noqa: F811
    sessions = platform
    subscribe(sessions, standin, "o1", "o2")
    cid = new_campaign(
        sessions, template_fields={"thing1": "{name}您好，您可能可以领取高龄津贴了"}
    )  # 4-character names fit
    start(sessions, elders, cid)
    with sessions.begin() as sess:
        sess.execute(update(PolicyDelivery).where(PolicyDelivery.openid == "o2").values(name="欧阳某某某某某某"))
    run_all(sender_for(sessions, redis_client, standin.url), sessions, cid)
    got = deliveries(sessions, cid)
    assert (got["o1"].status, got["o2"].status, got["o2"].reason) == ("sent", "skipped", "field_rules")
    assert standin.notices_to("o2") == []
