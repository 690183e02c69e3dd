"""Every platform model, imported in one place so the metadata (and Alembic) sees them all."""

from web.admin.audit import AuditEntry
from web.analytics.models import AnalyticsEvent
from web.assistance.models import OutboxEntry  # noqa: F401
from web.conversations.models import Conversation, Message
from web.documents.models import Document
from web.feedback.models import Rating
from web.handoff.child_protection.models import ChildProtectionReferral
from web.handoff.models import Agent, AgentGroup, CannedReply, HandoffRule, Note, Ticket, WorkingHours
from web.oncall.models import OncallAlert, OncallCall, OncallShift, OncallWorker
from web.orm import Base
from web.outbound.models import CallbackTask, OutboundMessage, ResidentConsent
from web.review.models import ReviewItem
from web.status_updates.models import FeedCursor, StatusUpdate
from web.subscriptions.models import NoticeConsent

__all__ = [
    "Base",
    "Conversation",
    "Message",
    "Agent",
    "AgentGroup",
    "AuditEntry",
    "CannedReply",
    "HandoffRule",
    "Note",
    "Ticket",
    "WorkingHours",
    "OncallWorker",
    "OncallShift",
    "OncallAlert",
    "OncallCall",
    "ChildProtectionReferral",
    "CallbackTask",
    "OutboundMessage",
    "ResidentConsent",
    "AnalyticsEvent",
    "Rating",
    "ReviewItem",
    "FeedCursor",
    "StatusUpdate",
    "NoticeConsent",
    "Document",
]
