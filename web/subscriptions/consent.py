"""Who accepted which subscription template: the ``notice_consent`` record and its questions.

WeChat tells the platform in three events (web/subscriptions/events.py): the resident's choice
in the subscribe pop-up (``subscribe_msg_popup_event``, accept or reject per template), a later
change in WeChat's own notification settings (``subscribe_msg_change_event``, reject only), and
the result of each notice sent (``subscribe_msg_sent_event``). A send WeChat refuses with 43101
also marks the template rejected, so the platform stops asking for it.

Interface for the other features (docs/wechat.md, *Subscription notices*):
``opted_in(sess, openid, template_key) -> bool`` by the key in ``templates.yml``;
``accepted(sess, openid, template_id)`` and ``accepted_among(sess, openids, template_id)`` by id.
An unsubscribed resident (``resident_consent.subscribed`` false) has opted out of everything.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from web.outbound.models import ResidentConsent
from web.subscriptions import templates
from web.subscriptions.models import ACCEPT, REJECT, NoticeConsent


def record(sess: Session, openid: str, template_id: str, status: str, source: str) -> None:
    """Keep the resident's latest answer for this template (one row per resident and template)."""
    if status not in (ACCEPT, REJECT):
        return
    row = sess.get(NoticeConsent, (openid, template_id))
    if row is None:
        sess.add(NoticeConsent(openid=openid, template_id=template_id[:64], status=status, source=source[:16]))
    else:
        row.status, row.source = status, source[:16]


def accepted_among(sess: Session, openids: Iterable[str], template_id: str) -> set[str]:
    """Of ``openids``, those who accepted ``template_id`` and still follow the account."""
    wanted = [o for o in openids if o]
    if not wanted or not template_id:
        return set()
    found = set(
        sess.scalars(
            select(NoticeConsent.openid).where(
                NoticeConsent.openid.in_(wanted),
                NoticeConsent.template_id == template_id,
                NoticeConsent.status == ACCEPT,
            )
        )
    )
    if found:
        gone = sess.scalars(
            select(ResidentConsent.openid).where(
                ResidentConsent.openid.in_(found), ResidentConsent.subscribed.is_(False)
            )
        )
        found -= set(gone)
    return found


def accepted(sess: Session, openid: str, template_id: str) -> bool:
    return openid in accepted_among(sess, [openid], template_id)


def opted_in(sess: Session, openid: str, template_key: str) -> bool:
    """The resident accepted the subscription template named ``template_key`` in templates.yml."""
    return accepted(sess, openid, templates.get(template_key).template_id)
