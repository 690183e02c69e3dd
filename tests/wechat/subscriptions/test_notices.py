"""Subscription notices end to end: the resident accepts in WeChat's pop-up (the stand-in sends
subscribe_msg_popup_event to the real web process), the consent is recorded per template, a
notice goes out through bizsend from the real worker and its receipt comes back; the platform
refuses before sending what WeChat would refuse, and the stand-in refuses it too."""

from __future__ import annotations

import time

import pytest
import redis

from tests.wechat.conftest import APP_ID, APP_SECRET, WECHAT_REDIS_URL
from web.outbound.models import OutboundMessage
from web.subscriptions import consent, templates
from web.subscriptions.models import NoticeConsent
from web.subscriptions.send import NotOptedIn, send_notice
from web.wechat_api import RuleBroken, WechatApi, WechatApiError

STATUS = templates.get("status").template_id
POLICY = templates.get("policy").template_id
VALUES = {"thing1": "最低生活保障申请", "phrase2": "已受理", "time3": "2026年12月5日 10:00", "thing4": "请留意后续通知"}


def _wait(predicate, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(0.1)
    return predicate()


def _api(stack) -> WechatApi:
    return WechatApi(redis.Redis.from_url(WECHAT_REDIS_URL), stack.env["WECHAT_API_BASE"], APP_ID, APP_SECRET)


def test_an_accepted_template_gets_notices_and_their_receipts(wechat_stack):
    stack, openid = wechat_stack, "oNoticeAccept01"
    stack.standin.send_event(openid, "subscribe")
    delivery = stack.standin.accept_notices(openid, {STATUS: "accept", POLICY: "reject"}, scene=1)
    assert delivery.status == 200 and delivery.reply is None  # WeChat gets "success"
    with stack.sessions() as sess:
        rows = {r.template_id: (r.status, r.source) for r in sess.query(NoticeConsent).filter_by(openid=openid)}
        assert rows == {STATUS: ("accept", "popup_h5"), POLICY: ("reject", "popup_h5")}
        assert consent.opted_in(sess, openid, "status") and not consent.opted_in(sess, openid, "policy")

    row_id = send_notice(stack.outbound(), openid, "status", VALUES, reason="status", ref="change:1")
    [notice] = stack.standin.wait_inbox(openid, 1)
    assert notice["kind"] == "notice" and notice["template_id"] == STATUS
    assert {k: v["value"] for k, v in notice["data"].items()} == VALUES

    def receipt():
        with stack.sessions() as sess:
            row = sess.get(OutboundMessage, row_id)
            return (row.kind, row.status, row.wechat_msgid, row.receipt_status) if row.receipt_status else None

    assert _wait(receipt) == ("notice", "sent", notice["msgid"], "success")


def test_nothing_is_sent_to_a_resident_who_did_not_opt_in_or_turned_it_off(wechat_stack):
    stack, openid = wechat_stack, "oNoticeRefuse01"
    stack.standin.send_event(openid, "subscribe")
    with pytest.raises(NotOptedIn):
        send_notice(stack.outbound(), openid, "status", VALUES, reason="status")
    stack.standin.accept_notices(openid, {STATUS: "accept"})
    stack.standin.refuse_notices(openid, STATUS)  # WeChat's notification settings: subscribe_msg_change_event
    with stack.sessions() as sess:
        assert sess.get(NoticeConsent, (openid, STATUS)).status == "reject"
        assert not consent.opted_in(sess, openid, "status")
        before = sess.query(OutboundMessage).filter_by(recipient=openid).count()
    with pytest.raises(NotOptedIn):
        send_notice(stack.outbound(), openid, "status", VALUES, reason="status")
    with stack.sessions() as sess:
        assert sess.query(OutboundMessage).filter_by(recipient=openid).count() == before == 0
    # the stand-in, asked directly, says what WeChat says: 43101
    with pytest.raises(WechatApiError) as refused:
        _api(stack)._post(
            "/cgi-bin/message/subscribe/bizsend",
            {"touser": openid, "template_id": STATUS, "data": {"thing1": {"value": "办件进度"}}},
        )
    assert refused.value.errcode == 43101


def test_values_that_break_the_field_rules_are_refused_before_sending_and_by_the_standin(wechat_stack):
    stack, openid = wechat_stack, "oNoticeRules01"
    stack.standin.send_event(openid, "subscribe")
    stack.standin.accept_notices(openid, {STATUS: "accept"})
    too_long = {**VALUES, "thing4": "您的申请已经受理，请在三个工作日内准备好户口簿和收入证明"}
    with pytest.raises(RuleBroken) as broken:
        send_notice(stack.outbound(), openid, "status", too_long, reason="status")
    assert "thing4" in broken.value.problems[0] and "20 个字以内" in broken.value.problems[0]
    with pytest.raises(RuleBroken):
        _api(stack).send_notice(openid, STATUS, {**VALUES, "phrase2": "入户调查中了"})
    calls = len(stack.standin.api_calls)
    with stack.sessions() as sess:
        assert sess.query(OutboundMessage).filter_by(recipient=openid).count() == 0
    assert len(stack.standin.api_calls) == calls  # nothing reached WeChat
    api = _api(stack)
    for data, errcode in [
        ({"thing4": {"value": too_long["thing4"]}}, 47003),
        ({"phrase2": {"value": "第2步"}}, 47003),
    ]:
        with pytest.raises(WechatApiError) as refused:
            api._post("/cgi-bin/message/subscribe/bizsend", {"touser": openid, "template_id": STATUS, "data": data})
        assert refused.value.errcode == errcode
    with pytest.raises(WechatApiError) as refused:
        api._post(
            "/cgi-bin/message/subscribe/bizsend",
            {"touser": openid, "template_id": "not a template!", "data": {"thing1": {"value": "x"}}},
        )
    assert refused.value.errcode == 40037


def test_template_messages_keep_the_2023_rules_at_the_platform_and_at_the_standin(wechat_stack):
    stack, openid = wechat_stack, "oTemplateRules01"
    stack.standin.send_event(openid, "subscribe")
    api = _api(stack)
    cold = {"first": "王阿姨您好，您可能符合高龄津贴的申请条件", "keyword1": "高龄津贴", "remark": "回复申请即可办理"}
    calls = len(stack.standin.api_calls)
    with pytest.raises(RuleBroken) as broken:
        api.send_template(openid, "TPL_policy_1", cold)
    assert any("first" in p for p in broken.value.problems) and len(stack.standin.api_calls) == calls
    with pytest.raises(WechatApiError) as refused:
        api._post(
            "/cgi-bin/message/template/send",
            {"touser": openid, "template_id": "TPL_policy_1", "data": {k: {"value": v} for k, v in cold.items()}},
        )
    assert refused.value.errcode == 47003
    for data in ({"thing1": {"value": "高龄津贴", "color": "#FF0000"}}, {"thing1": {"value": "第一行\n第二行"}}):
        with pytest.raises(WechatApiError) as refused:
            api._post("/cgi-bin/message/template/send", {"touser": openid, "template_id": "TPL_policy_1", "data": data})
        assert refused.value.errcode == 47003
    assert api.send_template(openid, "TPL_status_1", {"thing1": "最低生活保障申请", "phrase2": "已受理"}) > 0
