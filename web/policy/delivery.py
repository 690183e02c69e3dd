"""Sending a campaign's messages: claim before send, so each (campaign, resident) goes out at most once.

One delivery row per (campaign, resident) (a unique constraint) moves through

    pending ──claim──▶ sending ──WeChat answered──▶ sent | failed | pending (retry later)
       │                  └──worker died / no answer──▶ in_doubt (never re-sent)
       ├──▶ pending, later (weekly cap reached: ``next_attempt_at`` = when a slot frees, ``reason`` frequency_cap)
       └──▶ skipped (consent withdrawn) | cancelled

The claim is an ``UPDATE … WHERE status = 'pending'`` committed *before* WeChat is
called: a task that is redelivered after its worker died finds the row already
claimed and does not send it again. A row WeChat may have received but whose result
was never recorded (the worker died, or the network failed after the request left)
becomes ``in_doubt`` after ``STALE_CLAIM`` seconds and is counted, not re-sent —
WeChat has no idempotency key and no way to ask whether a message arrived.

WeChat's daily quota per message kind (web/wechat_api/daily_quota.py) is taken inside the
claim: when today's is used, or WeChat answers 45009, the campaign's pending rows wait for the
next day's sending hours (``reason = 'daily_quota'``) instead of failing.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from web.conversations.models import Conversation
from web.outbound.models import OutboundMessage
from web.outbound.wechat_sender import EarlyReceipts, record_receipt
from web.policy import audience, schedule
from web.policy.models import PolicyCampaign, PolicyDelivery
from web.policy.pacing import PushPacer
from web.subscriptions import consent as notice_consent
from web.wechat_api import InDoubt, RateLimited, Transient, WechatApi, WechatApiError, WindowClosed
from web.wechat_api.daily_quota import DailyQuota
from web.wechat_api.errors import NOT_SUBSCRIBED
from web.wechat_api.rules import notice_problems

log = logging.getLogger(__name__)

STALE_CLAIM = 45  # seconds: longer than one WeChat call can take (connect 3 s + read 10 s) with margin
WINDOW = timedelta(hours=48)  # WeChat's customer-service window after the resident's last message
CAP_WINDOW = timedelta(days=7)
RETRY_DELAYS = (10, 60, 300, 1800)  # seconds; after the last one a transient failure is permanent
QUOTA_DELAY = 600  # WeChat said a quota or frequency limit was reached
# Template errors that would fail every message of the campaign: pause it for an administrator.
CAMPAIGN_FATAL = frozenset({40037, 47001, 47003, 41028, 40165})
COUNTED = ("sending", "sent", "in_doubt")  # what counts towards a resident's weekly cap
STATE_CHECK_EVERY = 1.0  # seconds between re-reads of the campaign's state inside a batch
NOTICE = "notice"  # the channel of a campaign message outside the 48-hour window: a subscription notice
NAME_FOR_CHECK = "某某某某"  # {name} when a campaign's text is checked before it starts (most names are 2-4)
PG_LOCK_SPACE = 90_210  # pg_advisory_xact_lock(space, resident): one resident's caps are checked in turn
DAILY_QUOTA_REACHED = 45009  # WeChat: reach max api daily quota limit
QUOTA_WAIT = "daily_quota"  # the reason of a row waiting for the next day's quota
CAP_WAIT = "frequency_cap"  # the reason of a row waiting for a slot under the resident's weekly cap
QUOTA_KIND = {NOTICE: "subscribe"}  # a delivery's channel -> its daily quota's kind (web/wechat_api/daily_quota.py)


@dataclass(frozen=True)
class Claimed:
    delivery_id: int
    token: str
    openid: str
    channel: str  # template or text
    outbound_id: int
    body: dict[str, Any]


@dataclass(frozen=True)
class BatchResult:
    sent: int = 0
    again_in: float | None = None  # seconds until this batch should run again; None: nothing left
    wake_at: datetime | None = None  # quiet hours / not started: the campaign sleeps until then
    stopped: bool = False  # paused, cancelled or finished


def fill(text: str, name: str, benefit: str) -> str:
    return text.replace("{name}", name).replace("{benefit}", benefit)


def message_body(c: PolicyCampaign, name: str, link: str | None) -> dict[str, Any]:
    """The campaign's subscription notice to one resident: bizsend's template id, data and page.
    A cold push is never a template message (WeChat's rules of 2023-05-04: docs/wechat.md)."""
    data = {k: fill(str(v), name, c.benefit) for k, v in (c.template_fields or {}).items()}
    return {"template_id": c.template_id, "data": data, "page": link}


def field_problems(c: PolicyCampaign, name: str = NAME_FOR_CHECK) -> list[str]:
    """What in the campaign's notice breaks WeChat's field rules, with ``{name}`` as a name of
    ``len(NAME_FOR_CHECK)`` characters (each resident's own name is checked again at send time)."""
    if not c.template_id:
        return ["请填写订阅通知的模板 ID"]
    return notice_problems(message_body(c, name, None)["data"])


class CampaignSender:
    def __init__(
        self,
        sessions: sessionmaker,
        api: WechatApi,
        limiter: PushPacer,
        receipts: EarlyReceipts,
        link_for: Any = None,
        quota: DailyQuota | None = None,
    ) -> None:
        self.sessions, self.api, self.limiter, self.receipts = sessions, api, limiter, receipts
        self.link_for = link_for or (lambda _delivery_id: None)
        self.quota = quota  # None: WeChat's 45009 alone tells when today's quota is used

    # -- one batch -----------------------------------------------------------------------------
    def run_batch(self, campaign_id: int, first_id: int, last_id: int) -> BatchResult:
        with self.sessions() as sess:
            c = sess.get(PolicyCampaign, campaign_id)
            if c is None or c.state != "running":
                return BatchResult(stopped=True)
            quiet = (schedule.parse_hhmm(c.quiet_start), schedule.parse_hhmm(c.quiet_end))
            rate, starts_at = c.rate_per_second, c.starts_at
            now = schedule.now_local()
            ids = sess.scalars(
                select(PolicyDelivery.id)
                .where(
                    PolicyDelivery.campaign_id == campaign_id,
                    PolicyDelivery.id.between(first_id, last_id),
                    PolicyDelivery.status == "pending",
                    (PolicyDelivery.next_attempt_at.is_(None)) | (PolicyDelivery.next_attempt_at <= now),
                )
                .order_by(PolicyDelivery.id)
            ).all()
        sent, checked = 0, 0.0
        for delivery_id in ids:
            if time.monotonic() - checked > STATE_CHECK_EVERY:
                checked = time.monotonic()
                state = self._state(campaign_id)
                if state != "running":
                    return BatchResult(sent, stopped=True)
                now = schedule.now_local()
                at = schedule.next_send_time(now, starts_at, *quiet)
                if at > now:
                    return BatchResult(sent, wake_at=at)
            self.limiter.acquire(f"policy:{campaign_id}", rate)
            outcome = self.send_one(campaign_id, delivery_id)
            if outcome == "sent":
                sent += 1
            elif outcome == QUOTA_WAIT:  # today's quota is used: the campaign sleeps until the next day
                return BatchResult(sent, wake_at=schedule.next_day_send_time(schedule.now_local(), starts_at, *quiet))
            elif outcome in ("quota", "network", "fatal"):
                break  # WeChat is refusing or unreachable: stop this batch, come back later
        return BatchResult(sent, again_in=self._leftovers(campaign_id, first_id, last_id))

    def _state(self, campaign_id: int) -> str:
        with self.sessions() as sess:
            return sess.scalar(select(PolicyCampaign.state).where(PolicyCampaign.id == campaign_id)) or "cancelled"

    def _leftovers(self, campaign_id: int, first_id: int, last_id: int) -> float | None:
        """Mark dead workers' stale claims in doubt; say when this range needs another pass."""
        now = schedule.now_local()
        in_range = (PolicyDelivery.campaign_id == campaign_id, PolicyDelivery.id.between(first_id, last_id))
        with self.sessions.begin() as sess:
            sess.execute(
                update(PolicyDelivery)
                .where(
                    *in_range,
                    PolicyDelivery.status == "sending",
                    PolicyDelivery.claimed_at < now - timedelta(seconds=STALE_CLAIM),
                )
                .values(status="in_doubt", reason="no_result")
            )
            pending = sess.execute(
                select(func.count(), func.min(PolicyDelivery.next_attempt_at)).where(
                    *in_range, PolicyDelivery.status == "pending"
                )
            ).one()
            claimed = sess.scalar(
                select(func.min(PolicyDelivery.claimed_at)).where(*in_range, PolicyDelivery.status == "sending")
            )
        waits = []
        if pending[0]:
            waits.append(max(1.0, ((pending[1] or now) - now).total_seconds()))
        if claimed is not None:
            waits.append(max(1.0, (claimed + timedelta(seconds=STALE_CLAIM) - now).total_seconds() + 1))
        return min(waits) if waits else None

    # -- one message ---------------------------------------------------------------------------
    def send_one(self, campaign_id: int, delivery_id: int) -> str:
        claimed = self.claim(campaign_id, delivery_id)
        if isinstance(claimed, str):
            return claimed
        try:
            msgid = self._call(claimed)
        except WindowClosed as closed:  # the window closed since we looked: send the template instead (nothing left)
            if self.quota is not None and not self.quota.take(QUOTA_KIND[NOTICE]):
                return self._wait_for_tomorrow(claimed, closed)
            try:
                claimed = self._switch_to_notice(claimed)
                msgid = self._call(claimed)
            except WechatApiError as exc:
                return self._failed(claimed, exc)
        except WechatApiError as exc:
            return self._failed(claimed, exc)
        self._record(claimed, "sent", msgid=msgid)
        if msgid:
            early = self.receipts.pop(msgid)
            if early:  # the receipt overtook our bookkeeping
                record_receipt(self.sessions, msgid, early)
        return "sent"

    def _call(self, claimed: Claimed) -> int | None:
        if claimed.channel == "text":
            self.api.send_text(claimed.openid, claimed.body["content"])
            return None
        return self.api.send_notice(
            claimed.openid, claimed.body["template_id"], claimed.body["data"], claimed.body.get("page")
        )

    def claim(self, campaign_id: int, delivery_id: int) -> Claimed | str:
        """Take the delivery for one send attempt (committed before WeChat is called), or say why not."""
        token = uuid.uuid4().hex
        now = schedule.now_local()
        with self.sessions.begin() as sess:
            d = sess.get(PolicyDelivery, delivery_id)
            c = sess.get(PolicyCampaign, campaign_id)
            if d is None or d.status != "pending" or c is None or c.state != "running":
                return "taken"
            if sess.get_bind().dialect.name == "postgresql":
                sess.execute(select(func.pg_advisory_xact_lock(PG_LOCK_SPACE, d.resident_id)))
            reason = self._skip_reason(sess, d, c, now)
            if reason == CAP_WAIT:  # over the weekly cap: postponed to when a slot frees, never dropped
                quiet = (schedule.parse_hhmm(c.quiet_start), schedule.parse_hhmm(c.quiet_end))
                at = schedule.next_send_time(self._cap_frees_at(sess, d, c, now), c.starts_at, *quiet)
                sess.execute(
                    update(PolicyDelivery)
                    .where(PolicyDelivery.id == delivery_id, PolicyDelivery.status == "pending")
                    .values(next_attempt_at=at, reason=CAP_WAIT)
                )
                return CAP_WAIT
            if reason:
                sess.execute(
                    update(PolicyDelivery)
                    .where(PolicyDelivery.id == delivery_id, PolicyDelivery.status == "pending")
                    .values(status="skipped", reason=reason)
                )
                return "skipped"
            channel, body = self._message(sess, c, d)
            if self.quota is not None and not self.quota.take(QUOTA_KIND.get(channel, channel)):
                postpone_for_quota(sess, campaign_id, resume_at(c, now))
                return QUOTA_WAIT
            won = sess.execute(
                update(PolicyDelivery)
                .where(PolicyDelivery.id == delivery_id, PolicyDelivery.status == "pending")
                .values(
                    status="sending", claim=token, claimed_at=now, attempts=PolicyDelivery.attempts + 1, channel=channel
                )
            ).rowcount
            if won != 1:
                if self.quota is not None:
                    self.quota.give_back(QUOTA_KIND.get(channel, channel))
                return "taken"
            out = OutboundMessage(
                channel="wechat",
                recipient=d.openid,
                kind=channel,
                reason="campaign",
                ref=f"policy:{campaign_id}:{delivery_id}",
                body=body,
                status="queued",
            )
            sess.add(out)
            sess.flush()
            sess.execute(update(PolicyDelivery).where(PolicyDelivery.id == delivery_id).values(outbound_id=out.id))
            return Claimed(delivery_id, token, d.openid, channel, out.id, body)

    def _skip_reason(self, sess: Session, d: PolicyDelivery, c: PolicyCampaign, now: datetime) -> str | None:
        if audience.withdrawn(sess, [d.openid]):
            return "consent_withdrawn"
        if not notice_consent.accepted(sess, d.openid, c.template_id):  # refused the notices since
            return audience.NOT_OPTED_IN
        if field_problems(c, d.name):  # this resident's name makes a field too long
            return "field_rules"
        recent = sess.scalar(
            select(func.count())
            .select_from(PolicyDelivery)
            .where(
                PolicyDelivery.resident_id == d.resident_id,
                PolicyDelivery.status.in_(COUNTED),
                PolicyDelivery.claimed_at >= now - CAP_WINDOW,
            )
        )
        return CAP_WAIT if recent >= c.cap_per_week else None

    def _cap_frees_at(self, sess: Session, d: PolicyDelivery, c: PolicyCampaign, now: datetime) -> datetime:
        """When the resident may receive again: a week after the push that must leave the window for
        the count to drop below the cap (the window is the last :data:`CAP_WINDOW`, across campaigns)."""
        times = sess.scalars(
            select(PolicyDelivery.claimed_at)
            .where(
                PolicyDelivery.resident_id == d.resident_id,
                PolicyDelivery.status.in_(COUNTED),
                PolicyDelivery.claimed_at >= now - CAP_WINDOW,
            )
            .order_by(PolicyDelivery.claimed_at)
        ).all()
        oldest_to_leave = times[len(times) - c.cap_per_week] if len(times) >= c.cap_per_week else now - CAP_WINDOW
        return oldest_to_leave + CAP_WINDOW + timedelta(seconds=1)

    def _message(self, sess: Session, c: PolicyCampaign, d: PolicyDelivery) -> tuple[str, dict[str, Any]]:
        """The 48-hour window's text when the resident wrote recently (and the campaign has one), else the
        subscription notice (the resident accepted its template: the audience has only them)."""
        if c.window_text:
            last = sess.scalar(select(Conversation.last_message_at).where(Conversation.sender_id == d.openid))
            if last is not None and last >= datetime.now() - WINDOW:
                return "text", {"content": fill(c.window_text, d.name, c.benefit)}
        return NOTICE, message_body(c, d.name, self.link_for(d.id))

    def _switch_to_notice(self, claimed: Claimed) -> Claimed:
        with self.sessions.begin() as sess:
            d = sess.get(PolicyDelivery, claimed.delivery_id)
            c = sess.get(PolicyCampaign, d.campaign_id)
            body = message_body(c, d.name, self.link_for(d.id))
            d.channel = NOTICE
            out = sess.get(OutboundMessage, claimed.outbound_id)
            out.status, out.errcode, out.errmsg = "window_closed", 45015, "fell back to the subscription notice"
            new = OutboundMessage(
                channel="wechat",
                recipient=d.openid,
                kind=NOTICE,
                reason="campaign",
                ref=out.ref,
                body=body,
                status="queued",
                fallback_for=out.id,
            )
            sess.add(new)
            sess.flush()
            d.outbound_id = new.id
            return Claimed(claimed.delivery_id, claimed.token, claimed.openid, NOTICE, new.id, body)

    def _wait_for_tomorrow(self, claimed: Claimed, exc: WechatApiError) -> str:
        """Today's quota is used: this row and the campaign's other pending rows wait for the next day."""
        with self.sessions() as sess:
            c = sess.scalar(
                select(PolicyCampaign)
                .join(PolicyDelivery, PolicyDelivery.campaign_id == PolicyCampaign.id)
                .where(PolicyDelivery.id == claimed.delivery_id)
            )
            campaign_id, resume = c.id, resume_at(c, schedule.now_local())
        self._record(claimed, "pending", exc=exc, retry_at=resume)
        with self.sessions.begin() as sess:
            postpone_for_quota(sess, campaign_id, resume)
        log.warning(
            "campaign waits for tomorrow's WeChat quota", extra={"campaign": campaign_id, "kind": claimed.channel}
        )
        return QUOTA_WAIT

    def _failed(self, claimed: Claimed, exc: WechatApiError) -> str:
        if isinstance(exc, RateLimited) and exc.errcode == DAILY_QUOTA_REACHED:  # WeChat counts what we cannot see
            if self.quota is not None:
                self.quota.exhaust(QUOTA_KIND.get(claimed.channel, claimed.channel))
            return self._wait_for_tomorrow(claimed, exc)
        if isinstance(exc, InDoubt):  # the request may have reached WeChat: never send it again
            self._record(claimed, "in_doubt", exc=exc)
            return "network"
        if isinstance(exc, (Transient, RateLimited)):  # WeChat said busy, or was never reached: try again later
            with self.sessions() as sess:
                attempts = (
                    sess.scalar(select(PolicyDelivery.attempts).where(PolicyDelivery.id == claimed.delivery_id)) or 1
                )
            if isinstance(exc, RateLimited):
                self._record(claimed, "pending", exc=exc, retry_in=QUOTA_DELAY)
                return "quota"
            if attempts > len(RETRY_DELAYS):
                self._record(claimed, "failed", exc=exc)
                return "failed"
            self._record(claimed, "pending", exc=exc, retry_in=RETRY_DELAYS[attempts - 1])
            return "network" if exc.errmsg.startswith("network") else "retry"  # unreachable: stop the batch
        if exc.errcode == NOT_SUBSCRIBED:  # the resident turned the notices off: no more until they opt in again
            with self.sessions.begin() as sess:
                notice_consent.record(sess, claimed.openid, claimed.body["template_id"], "reject", "43101")
        if exc.errcode in CAMPAIGN_FATAL:
            self._record(claimed, "pending", exc=exc, retry_in=0)
            with self.sessions.begin() as sess:
                c = sess.scalar(
                    select(PolicyCampaign)
                    .join(PolicyDelivery, PolicyDelivery.campaign_id == PolicyCampaign.id)
                    .where(PolicyDelivery.id == claimed.delivery_id)
                )
                c.state = "paused"
                c.counts = {**(c.counts or {}), "error": f"{exc.errcode}: {exc.errmsg}"[:200]}
            log.error("campaign paused: WeChat refused its template", extra={"campaign": c.id, "errcode": exc.errcode})
            return "fatal"
        self._record(claimed, "failed", exc=exc)
        return "failed"

    def _record(
        self,
        claimed: Claimed,
        status: str,
        msgid: int | None = None,
        exc: WechatApiError | None = None,
        retry_in: float | None = None,
        retry_at: datetime | None = None,
    ) -> None:
        now = schedule.now_local()
        values: dict[str, Any] = {"status": status}
        if status == "sent":
            values.update(sent_at=now, msgid=msgid, errcode=0, reason=None)
        if exc is not None:
            values.update(errcode=exc.errcode, reason=exc.errmsg[:40])
        if status == "pending":
            values.update(
                claim=None, claimed_at=None, next_attempt_at=retry_at or now + timedelta(seconds=retry_in or 0)
            )
        with self.sessions.begin() as sess:
            sess.execute(
                update(PolicyDelivery)
                .where(PolicyDelivery.id == claimed.delivery_id, PolicyDelivery.claim == claimed.token)
                .values(**values)
            )
            out = sess.get(OutboundMessage, claimed.outbound_id)
            out.status = {"pending": "failed", "in_doubt": "failed"}.get(status, status)
            out.attempts += 1
            out.errcode, out.errmsg = (exc.errcode, exc.errmsg[:200]) if exc else (0, "ok")
            if status == "sent":
                out.sent_at, out.wechat_msgid = datetime.now(), msgid
        if exc is not None:
            log.warning(
                "campaign message not sent",
                extra={"delivery": claimed.delivery_id, "status": status, "errcode": exc.errcode},
            )


def resume_at(c: PolicyCampaign, now: datetime) -> datetime:
    """When a campaign whose quota is used today sends again: the next day, in its sending hours."""
    quiet = (schedule.parse_hhmm(c.quiet_start), schedule.parse_hhmm(c.quiet_end))
    return schedule.next_day_send_time(now, c.starts_at, *quiet)


def postpone_for_quota(sess: Session, campaign_id: int, resume: datetime) -> int:
    """Every pending row of the campaign due before ``resume`` waits for it (marked ``daily_quota``)."""
    return sess.execute(
        update(PolicyDelivery)
        .where(
            PolicyDelivery.campaign_id == campaign_id,
            PolicyDelivery.status == "pending",
            (PolicyDelivery.next_attempt_at.is_(None)) | (PolicyDelivery.next_attempt_at <= resume),
        )
        .values(next_attempt_at=resume, reason=QUOTA_WAIT)
    ).rowcount
