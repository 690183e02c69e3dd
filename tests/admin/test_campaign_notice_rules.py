"""A campaign's subscription notice must keep WeChat's field rules: the form says what is wrong before
saving, and a campaign whose text breaks them cannot be started — the page says why, in Chinese."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.admin.test_admin_pages import _campaign
from web.admin.audit import AuditEntry
from web.policy.models import PolicyCampaign

pytestmark = pytest.mark.usefixtures("redis_client")
TOO_LONG = '{"thing1": "{name}您好，您可能符合{benefit}的申请条件，回复申请即可办理"}'


def test_the_form_refuses_notice_fields_that_break_the_rules(app, sessions, signed_in):
    boss, token = signed_in("boss")
    form = {**_campaign(), "template_fields": TOO_LONG, "csrf_token": token, "action": "save"}
    page = boss.post("/admin/campaigns/new", data=form)
    assert page.status_code == 400
    text = page.get_data(as_text=True)
    assert "订阅通知 字段 thing1（事物：20 个字以内" in text
    old_style = {**form, "template_fields": '{"first": "{name}您好"}'}
    assert "不是订阅通知的字段名" in boss.post("/admin/campaigns/new", data=old_style).get_data(as_text=True)
    with sessions() as sess:
        assert sess.scalar(select(PolicyCampaign.id)) is None


def test_a_campaign_whose_text_breaks_the_rules_cannot_start_and_the_page_says_why(app, sessions, signed_in):
    boss, token = signed_in("boss")
    created = boss.post("/admin/campaigns/new", data={**_campaign(), "csrf_token": token, "action": "save"})
    campaign = int(created.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    with sessions.begin() as sess:  # written before the rules were checked on saving
        sess.get(PolicyCampaign, campaign).template_fields = {"thing1": "{name}您好，您可能符合{benefit}的申请条件"}
    refused = boss.post(f"/admin/campaigns/{campaign}/start", data={"csrf_token": token})
    assert refused.status_code == 409
    text = refused.get_data(as_text=True)
    assert "订阅通知的内容不符合微信的规定，活动不能开始" in text and "thing1" in text
    with sessions() as sess:
        assert sess.get(PolicyCampaign, campaign).state == "draft"
        assert sess.scalar(select(AuditEntry.id).where(AuditEntry.action == "start_campaign")) is None
