"""Sending one alert through the gateway: the retries, the escalation, the failure.

The Celery task (``oncall.deliver``) calls :meth:`Delivery.attempt` and does what it returns: call
again after that many seconds, or stop. Each attempt is one gateway call to the alert's current
person (``targets[step]``):

- a failure that may pass (:attr:`Fault.TRANSIENT`) is tried again after the next of
  ``retry_delays`` (oncall.yml; 0, 5, 15 s: three tries in about 20 s);
- after the last try, or at once when the gateway says the number is wrong
  (:attr:`Fault.PERSON`), the next person on the chain (status ``escalated``);
- when nobody is left, or no one can be reached this way (:attr:`Fault.GATEWAY`: a bad token),
  the alert is ``failed``: the console shows 通知失败，请立即电话联系.

An attempt claims the alert first (``next_attempt_at`` moved past the gateway's timeout), so a
duplicate task (a redelivery, the sweep) finds it claimed and leaves it; the gateway's
``reference`` (alert and person) keeps a repeated call from sending twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from common.masking import mask_text
from web.oncall import status
from web.oncall.config import oncall
from web.oncall.gateway import AlertGateway, Fault, GatewayError, Sent
from web.oncall.models import ACTIVE, OncallAlert, OncallCall
from web.workdays import utcnow

log = logging.getLogger(__name__)

CLAIM = timedelta(seconds=45)  # longer than one gateway call can take (web/oncall/gateway.py TIMEOUT)
EARLY = timedelta(seconds=1)  # a retry's task may run this much before its time (clocks, rounding)
TEXT_LIMIT = 500  # characters the gateway takes

# What the console is told when an alert's state changes: (conversation id, ticket id, state line, tone).
Announce = Callable[..., Any]


@dataclass(frozen=True)
class Call:
    """One claimed call: what is sent to whom."""

    alert_id: int
    conversation_id: int
    ticket_id: int
    step: int
    to: str
    name: str
    reference: str
    text: str


def worker_text(alert: OncallAlert, public_base_url: str) -> str:
    """What the on-call worker reads (and hears): the kind, the masked summary, the console link."""
    config = oncall()
    text = config.texts["worker"].format(
        kind=config.kind_name(alert.kind),
        summary=mask_text(alert.summary) or "详情见对话记录",
        minutes=config.promise_minutes,
        link=f"{public_base_url}/console/conversations/{alert.conversation_id}",
    )
    return text[:TEXT_LIMIT]


class Delivery:
    def __init__(
        self,
        sessions: sessionmaker,
        gateway: AlertGateway,
        public_base_url: str,
        announce: Announce | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.sessions, self.gateway, self.public_base_url = sessions, gateway, public_base_url.rstrip("/")
        self.announce, self.clock = announce, clock

    def attempt(self, alert_id: int) -> float | None:
        """One call for the alert, if one is due and not claimed; seconds until the next call,
        or None when there is nothing more for this task to do."""
        call = self._claim(alert_id, self.clock())
        if call is None:
            return None
        try:
            sent = self.gateway.send(call.to, call.text, oncall().voice, call.reference)
        except GatewayError as exc:
            return self._refused(call, exc, self.clock())
        self._sent(call, sent, self.clock())
        return None

    def _claim(self, alert_id: int, now: datetime) -> Call | None:
        with self.sessions.begin() as sess:
            alert = sess.scalar(select(OncallAlert).where(OncallAlert.id == alert_id).with_for_update())
            if alert is None or alert.status not in ACTIVE or not alert.targets:
                return None
            if alert.next_attempt_at is not None and alert.next_attempt_at > now + EARLY:
                return None  # another task has it, or its retry is not due yet
            alert.next_attempt_at = now + CLAIM
            alert.attempts += 1
            alert.step_attempts += 1
            target = alert.targets[alert.step]
            return Call(
                alert_id=alert.id,
                conversation_id=alert.conversation_id,
                ticket_id=alert.ticket_id,
                step=alert.step,
                to=str(target["phone"]),
                name=str(target["name"]),
                reference=f"oncall-{alert.id}-{alert.step}",
                text=worker_text(alert, self.public_base_url),
            )

    def _sent(self, call: Call, sent: Sent, now: datetime) -> None:
        with self.sessions.begin() as sess:
            alert = self._locked(sess, call.alert_id)
            sess.add(OncallCall(alert_id=alert.id, step=call.step, name=call.name, at=now, ok=True))
            if alert.status in ACTIVE and alert.step == call.step:
                alert.status, alert.sent_at, alert.gateway_id, alert.next_attempt_at = "sent", now, sent.id, None
            shown = status.state(alert, now)
        log.info("on-call alert sent", extra={"alert": call.alert_id, "step": call.step, "gateway_id": sent.id})
        self._tell(call, shown)

    def _refused(self, call: Call, exc: GatewayError, now: datetime) -> float | None:
        delays = oncall().retry_delays
        wait: float | None = None
        with self.sessions.begin() as sess:
            alert = self._locked(sess, call.alert_id)
            sess.add(OncallCall(alert_id=alert.id, step=call.step, name=call.name, at=now, error=str(exc)[:200]))
            alert.last_error = str(exc)[:200]
            if alert.status not in ACTIVE or alert.step != call.step:
                return None  # moved on meanwhile (cannot happen while the claim holds; harmless if it does)
            if exc.fault is Fault.TRANSIENT and alert.step_attempts < len(delays):
                wait = delays[alert.step_attempts]
                alert.next_attempt_at = now + timedelta(seconds=wait)
                changed = False
            elif exc.fault is not Fault.GATEWAY and alert.step + 1 < len(alert.targets):
                alert.step, alert.step_attempts, alert.status, alert.next_attempt_at = (
                    alert.step + 1,
                    0,
                    "escalated",
                    now,
                )
                wait, changed = 0, True
            else:
                alert.status, alert.failed_at, alert.next_attempt_at = "failed", now, None
                changed = True
            shown, failed = status.state(alert, now), alert.status == "failed"
        extra = {"alert": call.alert_id, "step": call.step, "error": str(exc), "fault": exc.fault.value}
        if failed:
            log.error("on-call alert failed: nobody on call could be reached", extra=extra)
        elif changed:
            log.warning("on-call worker not reached: escalated to the next person", extra=extra)
        else:
            log.warning("on-call alert not sent: trying again", extra={**extra, "retry_in": wait})
        if changed:
            self._tell(call, shown)
        return wait

    @staticmethod
    def _locked(sess: Session, alert_id: int) -> OncallAlert:
        return sess.scalar(select(OncallAlert).where(OncallAlert.id == alert_id).with_for_update())

    def _tell(self, call: Call, shown: status.AlertState) -> None:
        """The console's queue and conversation page update at once (after the commit)."""
        if self.announce is None:
            return
        try:
            self.announce(call.conversation_id, ticket_id=call.ticket_id, oncall=shown.text, oncall_tone=shown.tone)
        except Exception:  # the state is in the database; the page shows it on its next load
            log.warning("on-call state not announced to the console", extra={"alert": call.alert_id})
