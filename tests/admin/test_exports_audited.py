"""Every download from the admin pages, creating a campaign and every change of its state leave an
audit entry: who, what, which campaign and rule, how many rows (security review, item 9)."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from tests.admin.test_admin_pages import _campaign
from web.admin.audit import AuditEntry
from web.handoff.models import Agent

pytestmark = pytest.mark.usefixtures("redis_client")


def entries(sessions, action: str) -> list[AuditEntry]:
    with sessions() as sess:
        return sess.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)).all()


def boss_id(sessions) -> int:
    with sessions() as sess:
        return sess.scalar(select(Agent.id).where(Agent.username == "boss"))


def account_id(sessions, username: str) -> int:
    with sessions() as sess:
        return sess.scalar(select(Agent.id).where(Agent.username == username))


def test_creating_starting_and_pausing_a_campaign_are_audited(app, sessions, signed_in):
    boss, token = signed_in("boss")
    created = boss.post("/admin/campaigns/new", data={**_campaign(), "csrf_token": token, "action": "save"})
    assert created.status_code == 302, created.get_data(as_text=True)[:500]
    campaign = int(created.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    (entry,) = entries(sessions, "create_campaign")
    assert entry.agent_id == boss_id(sessions) and entry.remote_addr == "127.0.0.1"
    assert entry.detail["campaign"] == campaign and entry.detail["rule"] == {"age": {"gte": 80}}
    assert entry.detail["benefit"] == "高龄津贴" and entry.detail["counts"]["matched"] >= 0
    root, root_token = signed_in("root")  # started by another account (two-person approval)
    for action, (who, its_token) in (("start", (root, root_token)), ("pause", (boss, token))):
        assert who.post(f"/admin/campaigns/{campaign}/{action}", data={"csrf_token": its_token}).status_code == 302
        (entry,) = entries(sessions, f"{action}_campaign")
        assert entry.agent_id == account_id(sessions, "root" if action == "start" else "boss")
        assert entry.detail["campaign"] == campaign and entry.detail["rule"] == {"age": {"gte": 80}}
        assert entry.detail["prepared_by"] == "boss"
    assert root.post(f"/admin/campaigns/{campaign}/start", data={"csrf_token": root_token}).status_code == 409
    assert len(entries(sessions, "start_campaign")) == 1  # a refused change is not a change


def test_the_advisors_list_of_names_and_addresses_is_audited_with_its_row_count(app, sessions, signed_in):
    boss, token = signed_in("boss")
    rule = {**_campaign(), "rule": '{"age": {"gte": 60}}'}
    created = boss.post("/admin/campaigns/new", data={**rule, "csrf_token": token, "action": "save"})
    campaign = int(created.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    download = boss.get(f"/admin/campaigns/{campaign}/advisors.csv")
    assert download.status_code == 200
    rows = list(csv.reader(io.StringIO(download.get_data(as_text=True).lstrip("\ufeff"))))[1:]
    (entry,) = entries(sessions, "export_advisors")
    assert entry.agent_id == boss_id(sessions)
    assert entry.detail == {
        "campaign": campaign,
        "benefit": "高龄津贴",
        "rule": {"age": {"gte": 60}},
        "rows": len(rows),
        "complete": True,
    }
    assert len(rows) > 0  # the seeded registry has residents without WeChat: the count is of real rows


def test_the_other_downloads_are_audited(app, sessions, signed_in):
    boss, token = signed_in("boss")
    created = boss.post("/admin/campaigns/new", data={**_campaign(), "csrf_token": token, "action": "save"})
    campaign = int(created.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    funnel = boss.get(f"/admin/campaigns/{campaign}/funnel.csv")
    assert funnel.status_code == 200
    (entry,) = entries(sessions, "export_funnel")
    assert entry.detail == {"campaign": campaign, "rows": len(funnel.get_data(as_text=True).strip().splitlines()) - 1}
    analytics = boss.get("/admin/analytics.csv?start=2026-11-01&end=2026-11-30")
    assert analytics.status_code == 200
    (entry,) = entries(sessions, "export_analytics")
    lines = analytics.get_data(as_text=True).strip().splitlines()
    assert entry.detail == {"start": "2026-11-01", "end": "2026-11-30", "district": None, "rows": len(lines) - 1}
    assert boss.get("/admin/review/export.yml").status_code == 200
    (entry,) = entries(sessions, "export_nlu_review")
    assert entry.agent_id == boss_id(sessions) and entry.detail == {"rows": 0, "via": "download"}


def test_the_command_line_export_of_the_review_inbox_is_audited(sessions, tmp_path):
    from web.conversations.models import Conversation, Message
    from web.review import export
    from web.review.models import ReviewItem

    with sessions.begin() as sess:
        conv = Conversation(sender_id="web:export", channel="web")
        sess.add(conv)
        sess.flush()
        message = Message(conversation_id=conv.id, author="resident", text="老人住院了能报多少")
        sess.add(message)
        sess.flush()
        sess.add(
            ReviewItem(message_id=message.id, text=message.text, reason="fallback", status="labelled", label="greet")
        )
    with sessions.begin() as sess:
        assert export.export(sess, tmp_path / "review.yml", folder=tmp_path) == 1
    (entry,) = entries(sessions, "export_nlu_review")
    assert entry.agent_id is None and entry.remote_addr == ""
    assert entry.detail["rows"] == 1 and entry.detail["via"] == "command line" and entry.detail["by"]
