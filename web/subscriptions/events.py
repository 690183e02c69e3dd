"""WeChat's subscription-notice events, as the channel hands them over (typed at the edge).

* ``subscribe_msg_popup_event``: the resident's choice in the subscribe pop-up, per template
  (``accept`` / ``reject``; PopupScene 1 = an H5 page such as /subscriptions/, 2 = an article);
* ``subscribe_msg_change_event``: the resident turned a template off in WeChat's notification
  settings (``reject``);
* ``subscribe_msg_sent_event``: the result of a notice the platform sent (ErrorStatus ``success``,
  or ``failed:user block`` / ``failed:system failed``), the notice's receipt (:func:`receipts`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy.orm import Session

from web.subscriptions import consent

log = logging.getLogger(__name__)

POPUP, CHANGE, SENT = "subscribe_msg_popup_event", "subscribe_msg_change_event", "subscribe_msg_sent_event"
EVENTS = (POPUP, CHANGE, SENT)
SCENES = {"1": "popup_h5", "2": "popup_article"}


def record(sess: Session, event: str, openid: str, items: Sequence) -> int:
    """Record one event's templates (``items``: objects with template_id, status, scene, msg_id);
    returns how many were recorded."""
    done = 0
    for item in items:
        if event == POPUP:
            consent.record(sess, openid, item.template_id, item.status, SCENES.get(item.scene, "popup"))
        elif event == CHANGE:
            consent.record(sess, openid, item.template_id, item.status, "change")
        else:
            continue
        done += 1
    log.info("subscription notice event", extra={"event": event, "templates": done})
    return done


def receipts(event: str, items: Sequence) -> list[tuple[int, str]]:
    """A sent event's results as (msgid, status) receipts: the channel records them as it records
    TEMPLATESENDJOBFINISH (``web.outbound.wechat_sender.record_receipt``: kept early in Redis, so a
    receipt that overtakes the sender's bookkeeping is applied when the sender stores the msgid)."""
    if event != SENT:
        return []
    return [(item.msg_id, (item.status or str(item.error_code))[:40]) for item in items if item.msg_id]
