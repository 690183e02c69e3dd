"""WeChat's subscription-notice events, as the channel hands them over (typed at the edge).

* ``subscribe_msg_popup_event``: the resident's choice in the subscribe pop-up, per template
  (``accept`` / ``reject``; PopupScene 1 = an H5 page such as /subscriptions/, 2 = an article);
* ``subscribe_msg_change_event``: the resident turned a template off in WeChat's notification
  settings (``reject``);
* ``subscribe_msg_sent_event``: the result of a notice the platform sent (ErrorStatus ``success``,
  or ``failed:user block`` / ``failed:system failed``), kept as the notice's receipt.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from web.outbound.models import OutboundMessage
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
        elif event == SENT and item.msg_id:
            sess.execute(
                update(OutboundMessage)
                .where(OutboundMessage.wechat_msgid == item.msg_id, OutboundMessage.recipient == openid)
                .values(receipt_status=(item.status or str(item.error_code))[:40], receipt_at=datetime.now())
            )
        else:
            continue
        done += 1
    log.info("subscription notice event", extra={"event": event, "templates": done})
    return done
