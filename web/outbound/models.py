"""What the platform sent to residents outside a request, and whether it may push to them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, String, func
from sqlalchemy.orm import Mapped, mapped_column

from web.orm import Base

IN_DOUBT = "in_doubt"  # sent, perhaps: WeChat took the request and its answer was lost (web/outbound/doubt.py)


class OutboundMessage(Base):
    """One message to one resident and its result.

    ``status``: queued → sending (an attempt in flight, since ``last_attempt_at``) → sent |
    failed | window_closed | rate_limited | skipped | in_doubt (may have reached WeChat: never
    re-sent, shown to the agents), or back to queued for a retry (web chat: delivered). ``errcode``/``errmsg`` are WeChat's answer; a template message's
    ``wechat_msgid`` is matched by the TEMPLATESENDJOBFINISH event, which fills
    ``receipt_status`` (success, failed:user block, failed:system failed).
    """

    __tablename__ = "outbound_message"
    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(8))  # wechat or web
    recipient: Mapped[str] = mapped_column(String(80), index=True)  # openid, or the web chat sender id
    kind: Mapped[str] = mapped_column(String(10))  # text or template
    reason: Mapped[str] = mapped_column(String(24))  # slow_reply, agent, campaign, notification …
    ref: Mapped[str | None] = mapped_column(String(64), default=None)  # the caller's reference, e.g. a campaign id
    body: Mapped[dict] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    errcode: Mapped[int | None] = mapped_column(default=None)
    errmsg: Mapped[str | None] = mapped_column(String(200), default=None)
    attempts: Mapped[int] = mapped_column(default=0)
    last_attempt_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    fallback_for: Mapped[int | None] = mapped_column(default=None)  # the message a template replaced (45015)
    wechat_msgid: Mapped[int | None] = mapped_column(BigInteger, default=None, index=True)
    receipt_status: Mapped[str | None] = mapped_column(String(40), default=None)
    receipt_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())
    sent_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)


class ResidentConsent(Base):
    """A WeChat resident's subscription and push consent, keyed by openid.

    Unsubscribing withdraws push consent (``push_allowed`` false, ``withdrawn_at``
    set); subscribing again does not restore it — the resident opts in again.
    """

    __tablename__ = "resident_consent"
    openid: Mapped[str] = mapped_column(String(64), primary_key=True)
    subscribed: Mapped[bool] = mapped_column(default=True)
    push_allowed: Mapped[bool] = mapped_column(default=True)
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    reason: Mapped[str | None] = mapped_column(String(32), default=None)
    updated_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now(), onupdate=func.now())


class CallbackTask(Base):
    """An agent's message WeChat would not take (the 48-hour window closed, or its quota used up):
    kept, shown in the console as undelivered, until someone has reached the resident another way
    (a phone call) and says so (web/handoff/undelivered.py)."""

    __tablename__ = "callback_task"
    id: Mapped[int] = mapped_column(primary_key=True)
    outbound_id: Mapped[int] = mapped_column(unique=True)  # the undelivered outbound_message
    recipient: Mapped[str] = mapped_column(String(80), index=True)  # the resident's openid
    reason: Mapped[str] = mapped_column(String(16))  # window_closed | rate_limited
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())
    done_at: Mapped[datetime | None] = mapped_column(DateTime, default=None)
    done_by: Mapped[str | None] = mapped_column(String(64), default=None)  # the agent's username
    notice_id: Mapped[int | None] = mapped_column(default=None)  # the subscription notice that told the resident
