"""A campaign's life: draft → running ⇄ paused → completed | cancelled (a start time in the
future or quiet hours only make a running campaign wait).

``prepare`` turns the rule's audience into delivery rows (streamed from the registry,
filtered per batch against consent in the platform database, inserted idempotently:
a prepare task retried after a crash inserts nothing twice); ``ranges`` cuts the pending
rows into batches for the send tasks.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime

from sqlalchemy import Engine, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from web.policy import audience, rules, schedule
from web.policy.delivery import field_problems
from web.policy.models import PolicyCampaign, PolicyDelivery
from web.policy.standards import Standards

log = logging.getLogger(__name__)

BATCH_SIZE = 200  # deliveries per send task
TRANSITIONS = {
    "start": ({"draft"}, "running"),
    "pause": ({"running"}, "paused"),
    "resume": ({"paused"}, "running"),
    "cancel": ({"draft", "running", "paused"}, "cancelled"),
}


class TransitionRefused(ValueError):
    """``message`` is what the admin page tells the staff, in Chinese."""

    def __init__(self, reason: str, message: str = "当前状态下不能这样操作。") -> None:
        super().__init__(reason)
        self.message = message


def audience_for(conn, c: PolicyCampaign, stds: Standards, as_of: date | None = None) -> audience.Audience:
    return audience.Audience(
        rules.parse(c.rule), c.benefit or None, audience.context(conn, as_of or date.today(), stds), c.id
    )


def prepared_or_changed(c: PolicyCampaign) -> list[str]:
    """Every account that prepared or changed the campaign, in order: none of them may start it, nor
    resume it after a change (two-person approval)."""
    return [name for name in dict.fromkeys([c.created_by, *(c.editors or []), c.updated_by]) if name]


def transition(sess: Session, campaign_id: int, action: str, actor: str | None = None) -> PolicyCampaign:
    """Move the campaign on. ``actor``: the account doing it (the admin page's); a campaign is started, or
    resumed after a change, only by an account that neither prepared nor changed it (two-person approval).
    Without an actor (the workers, tests of the engine) nobody is checked."""
    allowed, target = TRANSITIONS[action]
    c = sess.get(PolicyCampaign, campaign_id, with_for_update=True)
    if c is None or c.state not in allowed:
        raise TransitionRefused(f"{action} is not possible in state {c.state if c else 'missing'}")
    if action in ("start", "resume"):
        problems = field_problems(c)  # WeChat would refuse every notice (47003): the campaign cannot go
        if problems:
            raise TransitionRefused(
                "the notice breaks WeChat's field rules",
                "订阅通知的内容不符合微信的规定，活动不能开始：" + "；".join(problems),
            )
    if actor is not None and (action == "start" or (action == "resume" and c.needs_approval)):
        if actor in prepared_or_changed(c):
            raise TransitionRefused(
                "the account that prepared or changed the campaign cannot start it",
                "为了稳妥，活动要由另一位主管检查后才能开始或继续，准备或修改过它的人不能自己点。"
                "请另一位主管登录后操作。",
            )
    c.state = target
    if action == "start":
        c.started_at = schedule.now_local()
        c.started_by = actor or ""
    if action in ("start", "resume"):
        c.needs_approval = False
    if action == "cancel":
        c.finished_at = schedule.now_local()
        sess.execute(
            update(PolicyDelivery)
            .where(PolicyDelivery.campaign_id == campaign_id, PolicyDelivery.status == "pending")
            .values(status="cancelled")
        )
    return c


def _insert(sess: Session):
    return (postgresql.insert if sess.get_bind().dialect.name == "postgresql" else sqlite.insert)(PolicyDelivery)


def prepare(
    sessions: sessionmaker, registry: Engine, stds: Standards, campaign_id: int, as_of: date | None = None
) -> dict[str, int]:
    """Compute the audience and create one pending delivery per reachable resident."""
    with sessions() as sess:
        c = sess.get(PolicyCampaign, campaign_id)
        tally: Counter[str] = Counter()
        with registry.connect() as conn:
            aud = audience_for(conn, c, stds, as_of)
            for batch in audience.stream(conn, aud):
                tally["matched"] += len(batch)
                reachable = []
                told = audience.told(sess, aud, [row.id for row in batch])
                for row, reason in audience.classify(sess, batch, c.template_id, told):
                    tally[reason] += 1
                    if reason == audience.REACHABLE:
                        reachable.append(
                            {
                                "campaign_id": campaign_id,
                                "resident_id": row.id,
                                "openid": row.openid,
                                "name": row.name or "",
                                "status": "pending",
                                "attempts": 0,
                            }
                        )
                if reachable:
                    sess.execute(
                        _insert(sess)
                        .values(reachable)
                        .on_conflict_do_nothing(index_elements=["campaign_id", "resident_id"])
                    )
                    sess.commit()
        counts = audience.figures(tally)
        sess.execute(
            update(PolicyCampaign)
            .where(PolicyCampaign.id == campaign_id)
            .values(counts=counts, as_of=aud.ctx.as_of, runs=PolicyCampaign.runs + 1)
        )
        sess.commit()
    log.info("campaign audience prepared", extra={"campaign": campaign_id, **counts})
    return counts


def ranges(sessions: sessionmaker, campaign_id: int, size: int = BATCH_SIZE) -> Iterator[tuple[int, int]]:
    """(first id, last id) of consecutive pending deliveries, ``size`` at a time (keyset paging)."""
    last = 0
    while True:
        with sessions() as sess:
            ids = sess.scalars(
                select(PolicyDelivery.id)
                .where(
                    PolicyDelivery.campaign_id == campaign_id,
                    PolicyDelivery.status == "pending",
                    PolicyDelivery.id > last,
                )
                .order_by(PolicyDelivery.id)
                .limit(size)
            ).all()
        if not ids:
            return
        yield ids[0], ids[-1]
        last = ids[-1]


def mark_stale_claims(sessions: sessionmaker, campaign_id: int, older_than: datetime) -> int:
    """Claims whose worker never recorded a result: in doubt, never re-sent (see delivery.py)."""
    with sessions.begin() as sess:
        return sess.execute(
            update(PolicyDelivery)
            .where(
                PolicyDelivery.campaign_id == campaign_id,
                PolicyDelivery.status == "sending",
                PolicyDelivery.claimed_at < older_than,
            )
            .values(status="in_doubt", reason="no_result")
        ).rowcount


def maybe_complete(sessions: sessionmaker, campaign_id: int) -> bool:
    with sessions.begin() as sess:
        left = sess.scalar(
            select(PolicyDelivery.id)
            .where(PolicyDelivery.campaign_id == campaign_id, PolicyDelivery.status.in_(("pending", "sending")))
            .limit(1)
        )
        if left is not None:
            return False
        c = sess.get(PolicyCampaign, campaign_id)
        if c is not None and c.repeat_monthly and c.state == "running":  # this month's run is done
            if c.next_run_at is None:
                quiet = (schedule.parse_hhmm(c.quiet_start), schedule.parse_hhmm(c.quiet_end))
                c.next_run_at = schedule.next_month_send_time(schedule.now_local(), c.starts_at, *quiet)
            return False
        done = sess.execute(
            update(PolicyCampaign)
            .where(PolicyCampaign.id == campaign_id, PolicyCampaign.state == "running")
            .values(state="completed", finished_at=schedule.now_local())
        ).rowcount
    return bool(done)


def due_runs(sessions: sessionmaker) -> list[int]:
    """Repeating campaigns whose next monthly run has come, each taken once (``next_run_at`` cleared in
    the same UPDATE): the caller computes their audiences again (``prepare`` adds only residents the
    campaign has not had yet)."""
    now = schedule.now_local()
    with sessions.begin() as sess:
        ids = sess.scalars(
            select(PolicyCampaign.id).where(
                PolicyCampaign.state == "running",
                PolicyCampaign.repeat_monthly.is_(True),
                PolicyCampaign.next_run_at <= now,
            )
        ).all()
        taken = []
        for cid in ids:
            won = sess.execute(
                update(PolicyCampaign)
                .where(PolicyCampaign.id == cid, PolicyCampaign.next_run_at <= now)
                .values(next_run_at=None)
            ).rowcount
            if won:
                taken.append(cid)
    return taken


def next_due(sessions: sessionmaker, campaign_id: int) -> datetime | None:
    """When the campaign's earliest pending row may be sent (now if any is due; None: nothing pending)."""
    with sessions() as sess:
        count, earliest_wait, any_due = sess.execute(
            select(
                func.count(),
                func.min(PolicyDelivery.next_attempt_at),
                func.count().filter(PolicyDelivery.next_attempt_at.is_(None)),
            ).where(PolicyDelivery.campaign_id == campaign_id, PolicyDelivery.status == "pending")
        ).one()
    if not count:
        return None
    return schedule.now_local() if any_due or earliest_wait is None else earliest_wait


def waiting_for_quota(sess: Session, campaign_id: int, reason: str = "daily_quota") -> int:
    """Residents the campaign will reach later because WeChat's quota of today is used (``reason``
    ``frequency_cap``: because they had their weekly pushes; they get this one when the week allows)."""
    return (
        sess.scalar(
            select(func.count()).where(
                PolicyDelivery.campaign_id == campaign_id,
                PolicyDelivery.status == "pending",
                PolicyDelivery.reason == reason,
                PolicyDelivery.next_attempt_at > schedule.now_local(),
            )
        )
        or 0
    )


def status_counts(sess: Session, campaign_id: int) -> dict[str, int]:
    rows = sess.execute(
        select(PolicyDelivery.status, func.count())
        .where(PolicyDelivery.campaign_id == campaign_id)
        .group_by(PolicyDelivery.status)
    )
    return {status: n for status, n in rows}
