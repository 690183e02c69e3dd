"""The retention task, run for real (eagerly, through Celery's task API) against a real database."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from common.db import make_engine
from common.migrate import upgrade
from web.admin.audit import AuditEntry
from web.analytics.models import AnalyticsEvent
from web.analytics.recording import record
from web.assistance.models import OutboxEntry
from web.conversations.models import Conversation, Message
from web.feedback.models import Rating
from web.handoff.models import Agent, Note, Ticket
from web.oncall.models import OncallAlert
from web.outbound.models import OutboundMessage
from web.policy.models import PolicyCampaign, PolicyDelivery
from web.review.models import ReviewItem


@pytest.fixture
def sessions(db_url, monkeypatch) -> sessionmaker:
    upgrade("platform", db_url)
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("RETENTION_DAYS", "180")
    from web import worker

    monkeypatch.setattr(worker, "_services", None)  # the worker's services are built once per process: again, here
    return sessionmaker(make_engine(db_url), expire_on_commit=False)


def test_old_transcripts_and_personal_data_go_recent_ones_and_statistics_stay(sessions):
    from web.retention.tasks import purge_expired

    old, recent = datetime.now() - timedelta(days=200), datetime.now() - timedelta(days=10)
    with sessions.begin() as sess:
        gone = Conversation(sender_id="oOldResident", channel="wechat", last_message_at=old, created_at=old)
        kept = Conversation(sender_id="oRecentResident", channel="wechat", last_message_at=recent, created_at=recent)
        sess.add_all([gone, kept])
        sess.flush()
        old_msg = Message(conversation_id=gone.id, author="resident", text="我身份证310101199001011234", created_at=old)
        new_msg = Message(conversation_id=kept.id, author="resident", text="低保怎么申请", created_at=recent)
        sess.add_all([old_msg, new_msg])
        sess.flush()
        sess.add_all(
            [
                ReviewItem(message_id=old_msg.id, text="我身份证310***********1234", reason="fallback", created_at=old),
                ReviewItem(message_id=new_msg.id, text="低保怎么申请", reason="low_confidence", created_at=recent),
                Rating(conversation_id=gone.id, task="question", level=1, comment="王大妈说太慢", created_at=old),
                Rating(conversation_id=kept.id, task="question", level=2, comment="太慢", created_at=recent),
            ]
        )
        record(sess, "message_in", gone.id, at=old, intent="greet")
        sess.add_all(
            [
                OutboundMessage(
                    channel="wechat",
                    recipient="oOldResident",
                    kind="text",
                    reason="agent",
                    status="sent",
                    body={"text": "王大妈，您的申请已受理"},
                    created_at=old,
                ),
                OutboundMessage(
                    channel="wechat",
                    recipient="oRecentResident",
                    kind="text",
                    reason="agent",
                    status="sent",
                    body={"text": "您好"},
                    created_at=recent,
                ),
                OutboxEntry(
                    id="old-sent",
                    kind="assistance_application",
                    body={"id_number": "310101199001011234"},
                    conversation_id=gone.id,
                    status="sent",
                    created_at=old,
                ),
                OutboxEntry(
                    id="old-pending",
                    kind="assistance_application",
                    body={"id_number": "310101199001011234"},
                    conversation_id=gone.id,
                    status="pending",
                    created_at=old,
                ),
            ]
        )
        ticket = Ticket(
            conversation_id=gone.id,
            reason="resident_request",
            queued_at=old,
            sla_due_at=old,
            callback_phone="13812345678",
            status="closed",
        )
        sess.add(ticket)
        sess.flush()
        agent = Agent(username="retention_agent", display_name="小王", password_hash="-")
        sess.add(agent)
        sess.flush()
        sess.add(Note(ticket_id=ticket.id, agent_id=agent.id, text="老人说住在普陀区某弄", created_at=old))
        sess.add(
            OncallAlert(
                ticket_id=ticket.id,
                conversation_id=gone.id,
                kind="violence",
                summary="他又打我了，我在宜川路",
                targets=[{"name": "王芳", "phone": "13800000001", "role": "值班社工"}],
                status="sent",
                created_at=old,
            )
        )
        sess.add_all(
            [
                AuditEntry(
                    agent_id=agent.id,
                    action="reveal_profile",
                    conversation_id=gone.id,
                    at=datetime.now() - timedelta(days=400),
                ),
                AuditEntry(agent_id=agent.id, action="view_conversation", conversation_id=gone.id, at=old),
            ]
        )
        finished = PolicyCampaign(name="旧活动", benefit="高龄津贴", state="completed", finished_at=old)
        running = PolicyCampaign(name="进行中", benefit="低保", state="running", started_at=old)
        sess.add_all([finished, running])
        sess.flush()
        sess.add_all(
            [
                PolicyDelivery(
                    campaign_id=finished.id,
                    resident_id=7,
                    openid="oOldResident",
                    name="王秀英",
                    status="sent",
                    sent_at=old,
                ),
                PolicyDelivery(
                    campaign_id=running.id,
                    resident_id=7,
                    openid="oOldResident",
                    name="王秀英",
                    status="sent",
                    sent_at=old,
                ),
            ]
        )
        gone_id, kept_id = gone.id, kept.id
    result = purge_expired.apply().get()  # the Celery task itself, executed eagerly
    assert result == {
        "review_items": 1,
        "rating_comments": 1,
        "outbound_messages": 1,
        "callback_tasks": 0,  # tests/retention/test_callbacks.py
        "status_updates": 0,  # tests/status_updates/test_retention.py
        "outbox_entries": 1,
        "child_protection_accounts": 0,  # tests/child_protection/test_referral.py
        "handoff_notes": 1,
        "callback_phones": 1,
        "oncall_summaries": 1,
        "policy_deliveries_unsent": 0,  # tests/retention/test_deliveries.py
        "policy_deliveries": 2,
        "audit_entries": 1,
        "messages": 1,
        "conversations": 1,
        "documents": 0,  # tests/documents/test_access_and_retention.py
    }
    with sessions() as sess:
        assert [m.text for m in sess.scalars(select(Message))] == ["低保怎么申请"]
        assert [i.text for i in sess.scalars(select(ReviewItem))] == ["低保怎么申请"]
        assert sorted((r.level, r.comment) for r in sess.scalars(select(Rating))) == [(1, None), (2, "太慢")]
        assert sess.get(Conversation, gone_id).sender_id == f"expired:{gone_id}"
        assert sess.get(Conversation, kept_id).sender_id == "oRecentResident"
        assert sess.scalar(select(AnalyticsEvent.intent)) == "greet"  # statistics carry no personal data and stay
        assert sorted((o.recipient, o.body, o.status) for o in sess.scalars(select(OutboundMessage))) == [
            ("expired", {}, "sent"),
            ("oRecentResident", {"text": "您好"}, "sent"),
        ]
        assert [e.id for e in sess.scalars(select(OutboxEntry))] == ["old-pending"]  # nothing unsent is lost
        assert sess.scalar(select(Ticket.callback_phone)) is None and sess.scalar(select(Note.id)) is None
        assert sess.scalar(select(OncallAlert.summary)) == ""  # whom the alert reached stays, what was said goes
        assert list(sess.scalars(select(AuditEntry.action))) == ["view_conversation"]  # the audit log keeps 365 days
        deliveries = sess.scalars(select(PolicyDelivery).order_by(PolicyDelivery.id)).all()
        assert [(d.openid, d.name, d.status) for d in deliveries] == [("expired", "", "sent")] * 2
        assert all(d.resident_id < 0 for d in deliveries)  # finished or not, the campaign keeps nobody
    assert set(purge_expired.apply().get().values()) == {0}


def test_the_audit_period_is_never_shorter_than_six_months(monkeypatch):
    from common import settings

    monkeypatch.setenv("AUDIT_RETENTION_DAYS", "30")
    assert settings.load().audit_retention_days == 180
    monkeypatch.setenv("AUDIT_RETENTION_DAYS", "730")
    assert settings.load().audit_retention_days == 730


def test_beat_runs_the_task_daily():
    from web.worker import celery_app

    entry = celery_app.conf.beat_schedule["retention"]
    assert entry["task"] == "retention.purge"
    import web.retention.tasks  # noqa: F401

    assert "retention.purge" in celery_app.tasks
