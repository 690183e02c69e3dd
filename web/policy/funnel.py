"""A campaign's funnel: matched → reachable → sent → delivered → opened/replied → applied.

``delivered`` is the receipt's ``success`` on the message's ``outbound_message`` row (a
subscription notice's subscribe_msg_sent_event; TEMPLATESENDJOBFINISH for campaigns sent before
they went by notice) (customer-service texts in the 48-hour window are delivered
when WeChat accepts them). ``applied`` is read from the back-office's application
tables in the registry database (``applications.yaml``): an application by the pushed
resident's openid for the campaign's benefit, made after the push.
"""

from __future__ import annotations

import csv
import io
import logging
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import Column, DateTime, Engine, MetaData, String, Table, func, inspect, or_, select, update
from sqlalchemy.orm import Session

from web.outbound.models import OutboundMessage
from web.policy import schedule
from web.policy.models import PolicyCampaign, PolicyDelivery

log = logging.getLogger(__name__)

STAGES = (
    ("matched", "符合条件"),
    ("reachable", "可触达"),
    ("sent", "已发送"),
    ("delivered", "已送达"),
    ("engaged", "已打开/回复"),
    ("applied", "已申请"),
)


def funnel(sess: Session, c: PolicyCampaign) -> list[tuple[str, str, int]]:
    d = PolicyDelivery
    of_campaign = d.campaign_id == c.id
    sent = sess.scalar(select(func.count()).where(of_campaign, d.status == "sent")) or 0
    delivered = (
        sess.scalar(
            select(func.count())
            .select_from(d)
            .outerjoin(OutboundMessage, OutboundMessage.id == d.outbound_id)
            .where(
                of_campaign, d.status == "sent", or_(d.channel == "text", OutboundMessage.receipt_status == "success")
            )
        )
        or 0
    )
    engaged = (
        sess.scalar(select(func.count()).where(of_campaign, or_(d.opened_at.is_not(None), d.replied_at.is_not(None))))
        or 0
    )
    applied = sess.scalar(select(func.count()).where(of_campaign, d.applied_at.is_not(None))) or 0
    counts = c.counts or {}
    values = {
        "matched": counts.get("matched", 0),
        "reachable": counts.get("reachable", 0),
        "sent": sent,
        "delivered": delivered,
        "engaged": engaged,
        "applied": applied,
    }
    return [(key, label, int(values[key])) for key, label in STAGES]


def funnel_csv(stages: list[tuple[str, str, int]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    out.write("\ufeff")
    writer.writerow(["阶段", "stage", "人数", "占符合条件"])
    top = stages[0][2] or 1
    for key, label, n in stages:
        writer.writerow([label, key, n, f"{n / top:.1%}"])
    return out.getvalue()


@lru_cache(maxsize=1)
def _sources() -> dict[str, dict[str, Any]]:
    return yaml.safe_load((Path(__file__).parent / "applications.yaml").read_text(encoding="utf-8"))


def refresh_applied(sess: Session, registry: Engine, c: PolicyCampaign, batch: int = 1000) -> int:
    """Mark the campaign's deliveries whose resident applied after the push; returns how many were new.
    (The back-office stamps applications with its server's clock; campaign times are Asia/Shanghai.)"""
    source = _sources().get(c.benefit)
    if source is None or c.started_at is None:
        return 0
    if not inspect(registry).has_table(source["table"]):
        log.warning("application table not in the registry database", extra={"table": source["table"]})
        return 0
    t = Table(
        source["table"],
        MetaData(),
        Column(source["openid"], String),
        Column(source["at"], DateTime),
        Column(source["type_column"], String),
    )
    query = (
        select(t.c[source["openid"]], func.min(t.c[source["at"]]))
        .where(
            t.c[source["type_column"]] == source["type"],
            t.c[source["at"]] >= schedule.to_server_time(c.started_at),
            t.c[source["openid"]].is_not(None),
        )
        .group_by(t.c[source["openid"]])
    )
    marked = 0
    with registry.connect() as conn:
        for part in conn.execution_options(stream_results=True, yield_per=batch).execute(query).partitions():
            for openid, server_at in part:
                at = schedule.from_server_time(server_at)
                marked += sess.execute(
                    update(PolicyDelivery)
                    .where(
                        PolicyDelivery.campaign_id == c.id,
                        PolicyDelivery.openid == openid,
                        PolicyDelivery.status == "sent",
                        PolicyDelivery.applied_at.is_(None),
                        PolicyDelivery.sent_at <= at,
                    )
                    .values(applied_at=at)
                ).rowcount
    sess.commit()
    return marked
