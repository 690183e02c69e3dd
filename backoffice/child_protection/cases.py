"""Making a child-protection case: whom it goes to, its reference, how it reads.

A verified sender (实名绑定, :func:`~backoffice.residents.registry.resident_for_openid`) has a home: the case
goes to the 儿童主任 of the household's community, who knows the families there. Anyone else may be reporting
a neighbour's child as easily as their own, and nothing says where they are, so the case goes to the duty
worker of a district's 未成年人保护工作站, with no community: the district named in what they said when there
is one, otherwise the station that takes unlocated reports. A community without a 儿童主任 on record falls
back to its district's station the same way.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice.child_protection.models import KINDS, STATUSES, ChildProtectionCase, ChildProtectionWorker
from backoffice.errors import ApiError
from backoffice.region.models import Community, District, Street
from backoffice.residents.models import Household
from backoffice.residents.registry import resident_for_openid
from common.masking import mask_name, mask_text

log = logging.getLogger(__name__)

PREFIX = "WB"  # 未保
SHANGHAI = ZoneInfo("Asia/Shanghai")  # the day in a reference is the bureau's
LOGGED_ACCOUNT = 200  # characters of the (masked) account a log line carries


@dataclass(frozen=True)
class Report:
    """What the platform sends: who reported (channel sender id), what kind of danger, the resident's own
    words, where the conversation is in the agent console, and when (naive UTC)."""

    sender: str
    kind: str
    account: str
    conversation_url: str
    reported_at: datetime


def district_named_in(sess: Session, text: str) -> str | None:
    """The district of the longest place name (community, street/town, district, or one of their aliases) in
    ``text``."""
    found: list[tuple[int, str]] = []
    for community in sess.scalars(select(Community)):
        found += [(len(n), community.street.district_code) for n in (community.name, *community.aliases) if n in text]
    for street in sess.scalars(select(Street)):
        found += [(len(n), street.district_code) for n in (street.name, *street.aliases) if n in text]
    for district in sess.scalars(select(District)):
        found += [(len(n), district.code) for n in (district.name, *district.aliases) if n in text]
    found = [hit for hit in found if hit[0] >= 2]
    return max(found)[1] if found else None


def _station(sess: Session, district_code: str | None) -> ChildProtectionWorker:
    stations = select(ChildProtectionWorker).where(ChildProtectionWorker.community_code.is_(None))
    station = None
    if district_code:
        station = sess.scalars(stations.where(ChildProtectionWorker.district_code == district_code)).first()
    station = station or sess.scalars(stations.where(ChildProtectionWorker.takes_unlocated.is_(True))).first()
    if station is None:  # a region loaded without its child-protection data: nobody to give the case to
        raise LookupError("no 未成年人保护工作站 on record (backoffice/seed/child_protection.yaml)")
    return station


def assignee(sess: Session, sender: str, account: str) -> tuple[ChildProtectionWorker, int | None, str | None]:
    """Whom a report goes to: (worker, the verified resident's id, their community code)."""
    resident = resident_for_openid(sess, sender)
    if resident is None:
        return _station(sess, district_named_in(sess, account)), None, None
    community = sess.get(Community, sess.get(Household, resident.household_id).community_code)
    worker = sess.scalar(select(ChildProtectionWorker).where(ChildProtectionWorker.community_code == community.code))
    return worker or _station(sess, community.street.district_code), resident.id, community.code


def create(sess: Session, report: Report, now: datetime) -> ChildProtectionCase:
    """A new case (``now``: naive UTC), made once per ``Idempotency-Key`` by :mod:`backoffice.idempotency`."""
    worker, resident_id, community_code = assignee(sess, report.sender, report.account)
    case = ChildProtectionCase(
        reference=f"tmp-{uuid.uuid4().hex}"[:24],
        kind=report.kind,
        status="assigned",
        sender=report.sender,
        resident_id=resident_id,
        account=report.account,
        conversation_url=report.conversation_url,
        reported_at=report.reported_at,
        received_at=now,
        district_code=worker.district_code,
        community_code=community_code,
        worker=worker,
    )
    sess.add(case)
    sess.flush()
    day = now.replace(tzinfo=UTC).astimezone(SHANGHAI)
    case.reference = f"{PREFIX}{day:%Y%m%d}{case.id:05d}"
    log.info(
        "child protection case made",
        extra={
            "reference": case.reference,
            "kind": case.kind,
            "assigned_role": worker.role,
            "verified": resident_id is not None,
            "account": mask_text(report.account)[:LOGGED_ACCOUNT],
        },
    )
    return case


def find(sess: Session, reference: str) -> ChildProtectionCase:
    case = sess.scalar(select(ChildProtectionCase).where(ChildProtectionCase.reference == reference))
    if case is None:
        raise ApiError(404, "not_found", "没有找到这个未成年人保护个案编号。")
    return case


def _utc(moment: datetime) -> str:
    return moment.replace(tzinfo=UTC).isoformat(timespec="seconds")


def as_json(sess: Session, case: ChildProtectionCase) -> dict:
    """The case as the platform and the console see it: the assignee's name masked, the account left out."""
    worker = case.worker
    community = sess.get(Community, worker.community_code) if worker.community_code else None
    district = sess.get(District, case.district_code)
    return {
        "reference": case.reference,
        "kind": case.kind,
        "kind_text": KINDS[case.kind],
        "status": case.status,
        "status_text": STATUSES[case.status],
        "assigned_to": {
            "name": mask_name(worker.name),
            "role": worker.role,
            "community": community.name if community else None,
            "station": worker.station or None,
            "phone": worker.phone,
        },
        "district": {"code": district.code, "name": district.name},
        "reported_at": _utc(case.reported_at),
        "received_at": _utc(case.received_at),
    }
