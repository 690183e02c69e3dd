"""Audiences: the rule runs as SQL in the registry, rows are streamed, never all held.

The registry query is read with a server-side cursor (``stream_results`` +
``yield_per``), so memory stays flat whatever the audience. Each streamed batch is
then checked against the platform database (consent), which lives elsewhere: one
``IN`` query per batch.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, Row, or_, select
from sqlalchemy.orm import Session

from common.masking import mask_id_number, mask_name, mask_phone
from web.outbound.models import ResidentConsent
from web.policy import compiler, registry, rules
from web.policy import standards as standards_mod
from web.subscriptions import consent as notice_consent

BATCH = 5000
REACHABLE = "reachable"
# Why a matched resident is not pushed, in the order they are checked.
NOT_OPTED_IN = "not_opted_in"
REASONS = {
    "already_held": "已享受该待遇",
    "no_wechat": "未绑定微信",
    "consent_withdrawn": "已退订推送",
    NOT_OPTED_IN: "未订阅通知",  # has not accepted the campaign's subscription template: not pushed
}
UNREACHED = ("no_wechat", "consent_withdrawn", NOT_OPTED_IN)  # for the community advisors' list


@dataclass(frozen=True)
class Audience:
    rule: rules.Node
    benefit: str | None
    ctx: compiler.Context


def context(conn: Connection, as_of: date, stds: standards_mod.Standards) -> compiler.Context:
    return compiler.Context(as_of, stds, registry.load_region(conn), conn.dialect.name)


def stream(conn: Connection, audience: Audience, detail: bool = False, batch: int = BATCH) -> Iterator[list[Row]]:
    """The matching residents in id order, ``batch`` rows at a time, from a server-side cursor."""
    query = compiler.audience_query(audience.rule, audience.ctx, audience.benefit, detail=detail)
    result = conn.execution_options(stream_results=True, yield_per=batch).execute(query)
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


def classify(sess: Session, batch: list[Row], template_id: str | None = None) -> Iterator[tuple[Row, str]]:
    """Each row with ``reachable`` or the reason it is not. With the campaign's subscription
    ``template_id``, only residents who accepted it are reachable (WeChat's rules: a cold push is a
    subscription notice to those who opted in); the rest are ``not_opted_in``."""
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
        else:
            yield r, REACHABLE


def counts(conn: Connection, sess: Session, audience: Audience, template_id: str | None = None) -> dict[str, int]:
    tally: Counter[str] = Counter()
    for batch in stream(conn, audience):
        tally["matched"] += len(batch)
        tally.update(reason for _row, reason in classify(sess, batch, template_id))
    return {"matched": tally["matched"], REACHABLE: tally[REACHABLE], **{k: tally[k] for k in REASONS}}


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
