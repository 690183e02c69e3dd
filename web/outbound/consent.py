"""Recording a WeChat resident's subscription and push consent (read by the campaigns)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from web.outbound.models import ResidentConsent


def record_subscribe(sess: Session, openid: str) -> None:
    row = sess.get(ResidentConsent, openid)
    if row is None:
        sess.add(ResidentConsent(openid=openid, subscribed=True, push_allowed=True, reason="subscribe"))
    else:
        row.subscribed = True  # a withdrawn push consent stays withdrawn until the resident opts in again


def record_unsubscribe(sess: Session, openid: str) -> None:
    row = sess.get(ResidentConsent, openid) or ResidentConsent(openid=openid)
    row.subscribed, row.push_allowed = False, False
    row.withdrawn_at, row.reason = datetime.now(), "unsubscribe"
    sess.add(row)


def may_push(sess: Session, openid: str) -> bool:
    """False when the resident unsubscribed or withdrew consent; unknown residents are not refused here."""
    row = sess.get(ResidentConsent, openid)
    return row is None or (row.subscribed and row.push_allowed)
