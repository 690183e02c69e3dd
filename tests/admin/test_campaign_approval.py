"""Two-person approval: a campaign is prepared by one account and started by another with a staff
(supervisor or administrator) role; both are in the audit log."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.admin.conftest import PASSWORD
from tests.admin.test_admin_pages import _campaign
from web.admin.audit import AuditEntry
from web.console import accounts
from web.handoff.models import Agent
from web.policy.models import PolicyCampaign

pytestmark = pytest.mark.usefixtures("redis_client")


def who(sessions, agent_id: int) -> str:
    with sessions() as sess:
        return sess.get(Agent, agent_id).username


def test_the_preparer_cannot_start_it_another_supervisor_can_and_both_are_audited(app, sessions, signed_in):
    with sessions.begin() as sess:
        accounts.create(sess, "boss2", PASSWORD, "supervisor", "张主管")
    boss, token = signed_in("boss")
    created = boss.post("/admin/campaigns/new", data={**_campaign(), "csrf_token": token, "action": "save"})
    campaign = int(created.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    page = boss.get(f"/admin/campaigns/{campaign}").get_data(as_text=True)
    assert "这个活动是您准备或修改的，要请没有准备或修改过它的另一位主管检查后点“开始”" in page
    refused = boss.post(f"/admin/campaigns/{campaign}/start", data={"csrf_token": token})
    assert refused.status_code == 409 and "准备或修改过它的人不能自己点" in refused.get_data(as_text=True)
    agent, agent_token = signed_in("agent")
    assert agent.post(f"/admin/campaigns/{campaign}/start", data={"csrf_token": agent_token}).status_code == 403
    with sessions() as sess:
        assert sess.get(PolicyCampaign, campaign).state == "draft"
        assert sess.scalar(select(AuditEntry.id).where(AuditEntry.action == "start_campaign")) is None
    second, second_token = signed_in("boss2")
    assert "这个活动由 boss 准备" in second.get(f"/admin/campaigns/{campaign}").get_data(as_text=True)
    assert second.post(f"/admin/campaigns/{campaign}/start", data={"csrf_token": second_token}).status_code == 302
    with sessions() as sess:
        c = sess.get(PolicyCampaign, campaign)
        assert (c.state, c.created_by, c.started_by) == ("running", "boss", "boss2")
        made, started = (
            sess.scalars(select(AuditEntry).where(AuditEntry.action == action)).one()
            for action in ("create_campaign", "start_campaign")
        )
    assert who(sessions, made.agent_id) == "boss" and who(sessions, started.agent_id) == "boss2"
    assert started.detail["prepared_by"] == "boss" and started.detail["campaign"] == campaign
    page = second.get(f"/admin/campaigns/{campaign}").get_data(as_text=True)
    assert 'id="started-by">boss2<' in page and 'id="prepared-by">boss<' in page
