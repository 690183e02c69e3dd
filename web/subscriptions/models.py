"""A resident's answer to a subscription-notice template: one row per (openid, template id)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, String, func
from sqlalchemy.orm import Mapped, mapped_column

from web.orm import Base

ACCEPT, REJECT = "accept", "reject"


class NoticeConsent(Base):
    """The last thing WeChat told us about this resident and template.

    ``status`` is WeChat's SubscribeStatusString: ``accept`` (the resident tapped 同意 in the
    subscribe pop-up) or ``reject`` (取消 in the pop-up, or turned off later in WeChat's
    notification settings: subscribe_msg_change_event; or WeChat answered 43101 to a send).
    ``source`` says which: ``popup_h5`` / ``popup_article`` (PopupScene 1 / 2), ``change``, ``43101``.
    """

    __tablename__ = "notice_consent"
    openid: Mapped[str] = mapped_column(String(64), primary_key=True)
    template_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    status: Mapped[str] = mapped_column(String(8))
    source: Mapped[str] = mapped_column(String(16), default="")
    updated_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now(), onupdate=func.now())
