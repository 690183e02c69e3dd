"""A draft or paused campaign can be changed; a change is audited and needs another account to start or
resume the campaign; a paused campaign keeps its residents (benefit and rule)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.admin.conftest import PASSWORD
from tests.admin.test_admin_pages import _campaign
from web.admin.audit import AuditEntry
from web.console import accounts
from web.policy.models import PolicyCampaign

pytestmark = pytest.mark.usefixtures("redis_client")
PAYLOAD = '/eldercare_find{"service_type": "助餐"}'  # not in flows.yaml: only an administrator can write it


def save(client, token: str, path: str, **changes) -> int:
    answer = client.post(path, data={**_campaign(), **changes, "csrf_token": token, "action": "save"})
    assert answer.status_code == 302, answer.get_data(as_text=True)[:800]
    return int(answer.headers["Location"].rstrip("/").rsplit("/", 1)[1])


def act(client, token: str, campaign: int, action: str) -> int:
    return client.post(f"/admin/campaigns/{campaign}/{action}", data={"csrf_token": token}).status_code


def test_a_draft_is_edited_audited_and_started_only_by_someone_who_neither_prepared_nor_ever_changed_it(
    app, sessions, signed_in
):
    with sessions.begin() as sess:
        accounts.create(sess, "boss2", PASSWORD, "supervisor", "张主管")
        accounts.create(sess, "boss3", PASSWORD, "supervisor", "王主管")
    boss, token = signed_in("boss")
    campaign = save(boss, token, "/admin/campaigns/new")
    root, root_token = signed_in("root")  # an administrator writes a payload of their own
    save(root, root_token, f"/admin/campaigns/{campaign}/edit", apply_payload=PAYLOAD)
    second, second_token = signed_in("boss2")
    form = second.get(f"/admin/campaigns/{campaign}/edit").get_data(as_text=True)
    assert "修改推送活动：高龄津贴告知" in form and 'value="高龄津贴告知"' in form
    supervisors_form = {k: v for k, v in _campaign().items() if k != "apply_payload"}  # a supervisor has no such field
    answer = second.post(
        f"/admin/campaigns/{campaign}/edit",
        data={
            **supervisors_form,
            "name": "高龄津贴告知（普陀）",
            "rule": '{"age": {"gte": 85}}',
            "csrf_token": second_token,
            "action": "save",
        },
    )
    assert answer.status_code == 302, answer.get_data(as_text=True)[:800]
    with sessions() as sess:
        c = sess.get(PolicyCampaign, campaign)
        assert (c.name, c.rule, c.created_by, c.updated_by, c.state, c.apply_payload) == (
            "高龄津贴告知（普陀）",
            {"age": {"gte": 85}},
            "boss",
            "boss2",
            "draft",
            PAYLOAD,  # the administrator's payload survives the supervisor's edit
        )
        entries = sess.scalars(select(AuditEntry).where(AuditEntry.action == "edit_campaign").order_by(AuditEntry.id))
        first, last = entries.all()
        assert first.detail["changed"] == ["apply_payload"] and last.detail["changed"] == ["name", "rule"]
        assert last.detail["campaign"] == campaign and last.detail["editors"] == ["boss", "root", "boss2"]
    page = second.get(f"/admin/campaigns/{campaign}").get_data(as_text=True)
    assert 'id="changed-by">root、boss2<' in page and "这个活动是您准备或修改的" in page
    assert act(boss, token, campaign, "start") == 409  # prepared it
    assert act(second, second_token, campaign, "start") == 409  # changed it last
    assert act(root, root_token, campaign, "start") == 409  # changed it before: an administrator is no exception
    third, third_token = signed_in("boss3")
    assert "这个活动由 boss 准备，root、boss2 修改过" in third.get(f"/admin/campaigns/{campaign}").get_data(
        as_text=True
    )
    assert act(third, third_token, campaign, "start") == 302
    with sessions() as sess:
        c = sess.get(PolicyCampaign, campaign)
        assert (c.state, c.started_by) == ("running", "boss3")
        started = sess.scalars(select(AuditEntry).where(AuditEntry.action == "start_campaign")).one()
        assert started.detail["editors"] == ["boss", "root", "boss2"] and started.detail["prepared_by"] == "boss"


def test_a_paused_campaign_keeps_its_residents_and_its_change_needs_another_to_resume(app, sessions, signed_in):
    boss, token = signed_in("boss")
    campaign = save(boss, token, "/admin/campaigns/new")
    root, root_token = signed_in("root")
    assert act(root, root_token, campaign, "start") == 302
    assert act(boss, token, campaign, "pause") == 302
    page = boss.get(f"/admin/campaigns/{campaign}/edit").get_data(as_text=True)
    assert "告知哪些居民（待遇和条件）不能再改" in page
    save(
        boss,
        token,
        f"/admin/campaigns/{campaign}/edit",
        rule='{"age": {"gte": 18}}',
        benefit="低保",
        window_text="王阿姨您好，高龄津贴可以在线申请了。",
    )
    with sessions() as sess:
        c = sess.get(PolicyCampaign, campaign)
        assert c.rule == {"age": {"gte": 80}} and c.benefit == "高龄津贴"  # what it started with
        assert c.window_text == "王阿姨您好，高龄津贴可以在线申请了。" and c.needs_approval
    assert act(boss, token, campaign, "resume") == 409
    root_editor = save(root, root_token, f"/admin/campaigns/{campaign}/edit", window_text="王阿姨您好。")
    assert root_editor == campaign and act(root, root_token, campaign, "resume") == 409  # root changed it too now
    with sessions.begin() as sess:
        accounts.create(sess, "boss2", PASSWORD, "supervisor", "张主管")
    second, second_token = signed_in("boss2")
    assert act(second, second_token, campaign, "resume") == 302
    with sessions() as sess:
        c = sess.get(PolicyCampaign, campaign)
        assert c.state == "running" and not c.needs_approval
    assert boss.get(f"/admin/campaigns/{campaign}/edit").status_code == 409  # running: not editable
