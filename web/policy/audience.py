"""Audiences: the rule runs as SQL in the registry, rows are streamed, never all held.

The registry query is read with a server-side cursor (``stream_results`` +
``yield_per``), so memory stays flat whatever the audience. Each streamed batch is
then checked against the platform database (consent), which lives elsewhere: one
``IN`` query per batch.
"""

from __future__ import annotations

import csv
import io
import json
import time
from collections import Counter
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import date
from itertools import compress
from typing import Any

from sqlalchemy import ColumnElement, Connection, Row, and_, func, not_, or_, select
from sqlalchemy.orm import Session

from common.masking import mask_id_number, mask_name, mask_phone
from web.outbound.models import ResidentConsent
from web.policy import compiler, registry, rules
from web.policy import standards as standards_mod
from web.policy.models import PolicyCampaign, PolicyDelivery
from web.subscriptions import consent as notice_consent
from web.subscriptions.models import ACCEPT, NoticeConsent

BATCH = 5000
REACHABLE = "reachable"
# Why a matched resident is not pushed, in the order they are checked.
NOT_OPTED_IN = "not_opted_in"
ALREADY_TOLD = "already_told"
REASONS = {
    "already_held": "已享受该待遇",
    "no_wechat": "未绑定微信",
    "consent_withdrawn": "已退订推送",
    NOT_OPTED_IN: "未订阅通知",  # has not accepted the campaign's subscription template: not pushed
    ALREADY_TOLD: "别的活动已经告知过",  # reachable, but another campaign already told them of this benefit
}
UNREACHED = ("no_wechat", "consent_withdrawn", NOT_OPTED_IN)  # for the community advisors' list
TOLD = ("sending", "sent", "in_doubt")  # a delivery that reached the resident, or may have


@dataclass(frozen=True)
class Audience:
    """``campaign_id``: the campaign it is computed for, if saved (its own deliveries are not another
    campaign's telling)."""

    rule: rules.Node
    benefit: str | None
    ctx: compiler.Context
    campaign_id: int | None = None


def context(conn: Connection, as_of: date, stds: standards_mod.Standards) -> compiler.Context:
    return compiler.Context(as_of, stds, registry.load_region(conn), conn.dialect.name)


def stream(conn: Connection, audience: Audience, detail: bool = False, batch: int = BATCH) -> Iterator[list[Row]]:
    """The matching residents in id order, ``batch`` rows at a time, from a server-side cursor."""
    query = compiler.audience_query(audience.rule, audience.ctx, audience.benefit, detail=detail)
    # for this statement only: ``Connection.execution_options`` would leave every later one on the connection streamed
    result = conn.execute(query, execution_options={"stream_results": True, "yield_per": batch})
    for part in result.partitions():
        yield list(part)


def withdrawn(sess: Session, openids: list[str]) -> set[str]:
    """Of ``openids``, those that unsubscribed or withdrew push consent (the platform's one consent record)."""
    if not openids:
        return set()
    rows = sess.scalars(
        select(ResidentConsent.openid).where(
            ResidentConsent.openid.in_(openids),
            or_(ResidentConsent.subscribed.is_(False), ResidentConsent.push_allowed.is_(False)),
        )
    )
    return set(rows)


def told(sess: Session, audience: Audience, resident_ids: list[int] | None = None) -> set[int]:
    """Residents another campaign already told of the audience's benefit (a delivery sending, sent or in
    doubt): a resident hears of a benefit once, however many campaigns or monthly runs offer it.
    ``resident_ids``: only among these (a streamed batch); None: all of them."""
    if audience.benefit is None or resident_ids == []:
        return set()
    conn = sess.connection()
    # one value, not a row per resident: after a large campaign the residents told can be 100,000
    query = (
        select(_collected(PolicyDelivery.resident_id, conn.dialect.name))
        .join(PolicyCampaign, PolicyCampaign.id == PolicyDelivery.campaign_id)
        .where(PolicyCampaign.benefit == audience.benefit, PolicyDelivery.status.in_(TOLD))
    )
    if audience.campaign_id is not None:
        query = query.where(PolicyCampaign.id != audience.campaign_id)
    if resident_ids is not None:
        query = query.where(PolicyDelivery.resident_id.in_(resident_ids))
    return set(_as_list(conn.execute(query).scalar(), conn.dialect.name))


def classify(
    sess: Session, batch: list[Row], template_id: str | None = None, told_already: Collection[int] = ()
) -> Iterator[tuple[Row, str]]:
    """Each row with ``reachable`` or the reason it is not. With the campaign's subscription
    ``template_id``, only residents who accepted it are reachable (WeChat's rules: a cold push is a
    subscription notice to those who opted in); the rest are ``not_opted_in``. Residents in
    ``told_already`` (:func:`told`) who could be reached are ``already_told``."""
    openids = [r.openid for r in batch if r.openid]
    gone = withdrawn(sess, openids)
    opted = notice_consent.accepted_among(sess, openids, template_id) if template_id is not None else None
    for r in batch:
        if r.already_held:
            yield r, "already_held"
        elif not r.openid:
            yield r, "no_wechat"
        elif r.openid in gone:
            yield r, "consent_withdrawn"
        elif opted is not None and r.openid not in opted:
            yield r, NOT_OPTED_IN
        elif r.id in told_already:
            yield r, ALREADY_TOLD
        else:
            yield r, REACHABLE


def figures(tally: Counter[str]) -> dict[str, int]:
    """The counts as the pages and the campaign keep them: matched, reachable, each reason."""
    return {"matched": tally["matched"], REACHABLE: tally[REACHABLE], **{k: tally[k] for k in REASONS}}


def counts(conn: Connection, sess: Session, audience: Audience, template_id: str | None = None) -> dict[str, int]:
    """What a send would do with each matched resident, counted (every row streamed and classified)."""
    tally: Counter[str] = Counter()
    for batch in stream(conn, audience):
        tally["matched"] += len(batch)
        known = told(sess, audience, [r.id for r in batch])
        tally.update(reason for _row, reason in classify(sess, batch, template_id, known))
    return figures(tally)


def quick_counts(conn: Connection, sess: Session, audience: Audience, template_id: str | None = None) -> dict[str, int]:
    """The same figures as :func:`counts`, fast enough to follow a staff member's every change.

    One aggregate in the registry, one pass over the matched residents: matched, already held and no
    WeChat counted there, and the openids of the rest collected into one value (with their ids when
    another campaign told someone of the benefit) — no row per resident crosses to this process. The
    platform's records are three sets — withdrawn push consent (few), accepted the campaign's template
    (kept :data:`OPTED_IN_KEPT_SECONDS` per process, as a staff member's counts follow one another) and
    the residents another campaign already told of the benefit — intersected with those openids here,
    set against set. Nothing is classified one by one; the order of the checks is :func:`classify`'s."""
    told_already = told(sess, audience)
    query = compiler.audience_query(audience.rule, audience.ctx, audience.benefit).order_by(None)
    # OFFSET 0 keeps the audience a subquery of its own: merged into the aggregate, PostgreSQL would
    # compute already_held (a JSON containment per resident) once for every FILTER that reads it
    aud = (
        query.with_only_columns(*(query.selected_columns[k] for k in ("id", "openid", "already_held")))
        .offset(0)
        .subquery("audience")
    )
    unheld = not_(aud.c.already_held)
    bound = and_(unheld, aud.c.openid.is_not(None))
    dialect = conn.dialect.name
    figures_row = [
        func.count(),
        func.count().filter(aud.c.already_held),
        func.count().filter(and_(unheld, aud.c.openid.is_(None))),
        _collected(aud.c.openid, dialect, bound),
    ]
    if told_already:
        figures_row.append(_collected(aud.c.id, dialect, bound))
    if dialect == "postgresql":
        # PostgreSQL's JIT compiles a query this size for longer than it then runs (1.4 s of 2.3 s
        # measured at 100,000 residents): off for this transaction only.
        conn.exec_driver_sql("SET LOCAL jit = off")
    matched, held, no_wechat, *collected = conn.execute(select(*figures_row)).one()
    openids: list[str] = _as_list(collected[0], dialect)
    # One openid per resident, never one for two (wechat_binding.openid is its key): sets count residents.
    # Each set operation below walks the list of openids once, or a set of those reached or told (the list
    # holds 350,000 openids for everyone at 1,000,000 residents): no set of all of them is built.
    withdrawn_here = _all_withdrawn(sess).intersection(openids)
    pushable = len(openids) - len(withdrawn_here)
    opted = _opted_in(sess, template_id) if template_id is not None else None
    if opted is None:
        opted_n = pushable
    else:
        opted_here = opted.intersection(openids)
        opted_n = len(opted_here) - len(withdrawn_here.intersection(opted_here))
    already = 0
    if told_already:
        ids: list[int] = _as_list(collected[1], dialect)
        told_here = set(compress(openids, map(told_already.__contains__, ids)))  # the openids of told ids
        told_here.difference_update(withdrawn_here)
        already = len(told_here) if opted is None else len(told_here.intersection(opted))
    tally = Counter(
        {
            "matched": matched,
            "already_held": held,
            "no_wechat": no_wechat,
            "consent_withdrawn": len(withdrawn_here),
            NOT_OPTED_IN: pushable - opted_n,
            ALREADY_TOLD: already,
            REACHABLE: opted_n - already,
        }
    )
    return figures(tally)


def _all_withdrawn(sess: Session) -> set[str]:
    """Every openid that unsubscribed or withdrew push consent (a few in a hundred), read in one value."""
    platform = sess.connection()
    query = select(_collected(ResidentConsent.openid, platform.dialect.name)).where(
        or_(ResidentConsent.subscribed.is_(False), ResidentConsent.push_allowed.is_(False))
    )
    return set(_as_list(platform.execute(query).scalar(), platform.dialect.name))


def _collected(
    column: ColumnElement[Any], dialect: str, where: ColumnElement[bool] | None = None
) -> ColumnElement[Any]:
    """Every value of ``column`` (in the rows where ``where`` holds) in one value, which the driver reads
    at once, where a row per value costs a round of result processing each: an array on PostgreSQL, a JSON
    array on SQLite. Two collections of one query follow the same rows in the same order."""
    collected = func.array_agg(column) if dialect == "postgresql" else func.json_group_array(column)
    return collected if where is None else collected.filter(where)


def _as_list(collected: Any, dialect: str) -> list[Any]:
    if dialect == "postgresql":
        return list(collected or ())  # array_agg of no row is NULL
    return json.loads(collected)


OPTED_IN_KEPT_SECONDS = 300
_opted_cache: dict[tuple[str, str], tuple[float, frozenset[str]]] = {}


def _opted_in(sess: Session, template_id: str) -> frozenset[str]:
    """Who accepted ``template_id`` (and still follows the account: an unsubscribed resident is in the
    withdrawn set, counted first), read at most every :data:`OPTED_IN_KEPT_SECONDS` per database."""
    key = (str(sess.get_bind().url), template_id)
    kept = _opted_cache.get(key)
    if kept is not None and time.monotonic() - kept[0] < OPTED_IN_KEPT_SECONDS:
        return kept[1]
    found = frozenset(
        sess.scalars(
            select(NoticeConsent.openid).where(NoticeConsent.template_id == template_id, NoticeConsent.status == ACCEPT)
        )
    )
    _opted_cache[key] = (time.monotonic(), found)
    return found


def sample(conn: Connection, audience: Audience, limit: int = 10) -> list[dict[str, Any]]:
    """A few matching residents for the preview, masked."""
    query = compiler.audience_query(audience.rule, audience.ctx, audience.benefit, detail=True).limit(limit)
    region = audience.ctx.region
    return [
        {
            "name": mask_name(r.name),
            "id_number": mask_id_number(r.id_number),
            "community": region.communities.get(r.hukou_community_code, ("", ""))[0],
            "wechat": bool(r.openid),
            "already_held": bool(r.already_held),
        }
        for r in conn.execute(query)
    ]


CSV_HEADER = ["原因", "区", "居委/村委", "姓名", "身份证号", "联系电话", "住址"]


def advisor_csv(
    conn: Connection, sess: Session, audience: Audience, template_id: str | None = None
) -> Iterator[tuple[str, int]]:
    """The matched residents a push cannot reach (no WeChat, consent withdrawn, notices not subscribed), for the
    community assistance advisors to visit — streamed as CSV, personal numbers masked: each
    chunk of text with the number of residents in it (the export is audited with the total)."""
    region = audience.ctx.region
    out = io.StringIO()
    writer = csv.writer(out)
    out.write("\ufeff")  # Excel opens UTF-8 with a BOM correctly
    writer.writerow(CSV_HEADER)
    for batch in stream(conn, audience, detail=True):
        residents = 0
        for r, reason in classify(sess, batch, template_id):
            if reason not in UNREACHED:
                continue
            residents += 1
            community, district_code = region.communities.get(r.hukou_community_code, ("", ""))
            writer.writerow(
                [
                    REASONS[reason],
                    region.district_names.get(district_code, ""),
                    community,
                    r.name,
                    mask_id_number(r.id_number),
                    mask_phone(r.phone) if r.phone else "",
                    r.address,
                ]
            )
        yield out.getvalue(), residents
        out.seek(0)
        out.truncate()
    if out.tell():  # nobody matched: the header alone
        yield out.getvalue(), 0
