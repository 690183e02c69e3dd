"""Campaign state in the platform database: campaigns and one delivery row per (campaign, resident).

Consent is not here: the platform keeps one consent record per openid,
``web.outbound.models.ResidentConsent``, which the WeChat unsubscribe event and the
bot's 退订 both write. What was sent is also recorded in ``outbound_message`` (whose
row the TEMPLATESENDJOBFINISH receipt updates); ``PolicyDelivery.outbound_id`` links it.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from web.orm import Base

CAMPAIGN_STATES = ("draft", "running", "paused", "completed", "cancelled")
# pending → sending (claimed) → sent | failed | in_doubt;  pending → skipped (consent / cap) | cancelled
DELIVERY_STATES = ("pending", "sending", "sent", "failed", "in_doubt", "skipped", "cancelled")


class PolicyCampaign(Base):
    """Times (``starts_at``, ``started_at`` …, and the deliveries') are Asia/Shanghai wall-clock times."""

    __tablename__ = "policy_campaign"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    benefit: Mapped[str] = mapped_column(String(20))  # what the campaign offers; holders are not pushed
    rule: Mapped[dict] = mapped_column(default=dict)
    template_id: Mapped[str] = mapped_column(String(64), default="")
    template_fields: Mapped[dict] = mapped_column(default=dict)  # field -> text; {name} is the resident's name
    window_text: Mapped[str] = mapped_column(Text, default="")  # sent instead when the 48-hour window is open
    apply_keyword: Mapped[str] = mapped_column(String(12), default="申请")
    apply_payload: Mapped[str] = mapped_column(
        String(200), default=""
    )  # e.g. /assistance_apply{"assistance_type": "临时救助"}
    starts_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    quiet_start: Mapped[str] = mapped_column(String(5), default="21:00")
    quiet_end: Mapped[str] = mapped_column(String(5), default="08:00")
    cap_per_week: Mapped[int] = mapped_column(Integer, default=2)
    rate_per_second: Mapped[float] = mapped_column(Float, default=20.0)
    state: Mapped[str] = mapped_column(String(12), default="draft", index=True)
    as_of: Mapped[date | None] = mapped_column(Date, default=None)  # the day the audience was computed for
    counts: Mapped[dict] = mapped_column(default=dict)  # matched, reachable, not reachable by reason
    created_by: Mapped[str] = mapped_column(String(40), default="")  # who prepared it (username)
    started_by: Mapped[str] = mapped_column(String(40), default="")  # who approved and started it: another account
    updated_by: Mapped[str] = mapped_column(String(40), default="")  # who last changed it (a draft or paused)
    editors: Mapped[list] = mapped_column(default=list)  # every account that prepared or changed it: none may start it
    updated_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    needs_approval: Mapped[bool] = mapped_column(Boolean, default=False)  # changed since another account approved
    repeat_monthly: Mapped[bool] = mapped_column(Boolean, default=False)  # again each month, for who newly matches
    next_run_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)  # a repeating campaign's next run
    runs: Mapped[int] = mapped_column(Integer, default=0)  # audiences computed so far (1 after the start)
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())
    started_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)


class PolicyDelivery(Base):
    __tablename__ = "policy_delivery"
    __table_args__ = (
        UniqueConstraint("campaign_id", "resident_id", name="uq_policy_delivery_campaign_resident"),
        Index("ix_policy_delivery_campaign_status", "campaign_id", "status"),
        Index("ix_policy_delivery_resident_claimed", "resident_id", "claimed_at"),
        Index("ix_policy_delivery_openid_sent", "openid", "sent_at"),
        Index("ix_policy_delivery_resident_status", "resident_id", "status"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("policy_campaign.id"))
    resident_id: Mapped[int] = mapped_column(Integer)  # the registry's resident id
    openid: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(20), default="")
    status: Mapped[str] = mapped_column(String(10), default="pending")
    reason: Mapped[str | None] = mapped_column(String(40), default=None)  # why skipped / failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    claim: Mapped[str | None] = mapped_column(String(36), default=None)  # who claimed it (one send attempt)
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    channel: Mapped[str | None] = mapped_column(String(8), default=None)  # template or text (48-hour window)
    outbound_id: Mapped[int | None] = mapped_column(Integer, default=None, index=True)
    msgid: Mapped[int | None] = mapped_column(BigInteger, default=None)
    errcode: Mapped[int | None] = mapped_column(Integer, default=None)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    opened_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    replied_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    applied_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)


class PolicyTester(Base):
    """A staff member's own WeChat, for a campaign's test send: bound when the one-time ``code`` shown
    on the campaign page is sent to the Official Account from it (``web/policy/tester.py``)."""

    __tablename__ = "policy_tester"
    username: Mapped[str] = mapped_column(String(40), primary_key=True)  # the console account
    openid: Mapped[str | None] = mapped_column(String(64), default=None)
    bound_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    code: Mapped[str | None] = mapped_column(String(6), default=None, index=True)
    code_expires_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
