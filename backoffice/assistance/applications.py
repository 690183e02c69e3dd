"""Creating applications, moving them through the review, and who may see them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from backoffice import documents
from backoffice.assistance import standards
from backoffice.assistance.models import NEEDS_REASON, TRANSITIONS, TYPES, Application, StatusEvent
from backoffice.changes import feed
from backoffice.errors import ApiError
from backoffice.region.models import Community, Street
from backoffice.residents.models import Resident
from backoffice.residents.registry import resident_for_openid
from common.masking import is_valid_id_number, is_valid_phone, mask_id_number, mask_phone


@dataclass(frozen=True)
class NewApplication:
    type: str
    applicant_id_number: str
    relation: str
    phone: str
    community: str
    hardship: str
    consent: bool
    submitted_by_openid: str | None
    channel: str

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> NewApplication:
        applicant = body.get("applicant") or {}
        return cls(
            type=str(body.get("type", "")),
            applicant_id_number=str(applicant.get("id_number", "")).strip().upper(),
            relation=str(applicant.get("relation") or "本人")[:8],
            phone=str(applicant.get("phone", "")).strip(),
            community=str(body.get("community", "")).strip(),
            hardship=str(body.get("hardship", "")).strip(),
            consent=(body.get("consent") or {}).get("economic_check") is True,
            submitted_by_openid=body.get("submitted_by_openid") or None,
            channel=str(body.get("channel", ""))[:16],
        )


def find_community(sess: Session, said: str) -> Community | None:
    """A community by code, name or alias, or the one whose name a sentence mentions (我住在曹杨一村)."""
    said = said.strip()
    if not said:
        return None
    found = sess.get(Community, said)
    if found:
        return found
    best: tuple[int, Community] | None = None
    for community in sess.scalars(select(Community).order_by(Community.code)):
        for name in (community.name, community.name.removesuffix("居委会").removesuffix("村委会"), *community.aliases):
            if len(name) >= 2 and name in said and (best is None or len(name) > best[0]):
                best = (len(name), community)
    return best[1] if best else None


def advisor_json(community: Community) -> dict[str, Any]:
    street: Street = community.street
    return {
        "community": {"code": community.code, "name": community.name},
        "street": {"code": street.code, "name": street.name, "service_center": street.service_center},
        "district_code": street.district_code,
        "advisor": {"name": street.advisor_name, "phone": street.advisor_phone},
    }


def _check(new: NewApplication, sess: Session) -> Community:
    if new.type not in TYPES:
        raise ApiError(422, "unknown_type", "救助类型不对，可以是：" + "、".join(TYPES))
    if not is_valid_id_number(new.applicant_id_number):
        raise ApiError(422, "invalid_id_number", "身份证号码不对，请核对一下")
    if not is_valid_phone(new.phone):
        raise ApiError(422, "invalid_phone", "手机号码不对，请核对一下")
    if not new.consent:
        raise ApiError(422, "consent_required", "没有您同意家庭经济状况核对的授权，申请没法提交")
    if not new.hardship:
        raise ApiError(422, "hardship_required", "请简单说一下家里遇到的困难")
    community = find_community(sess, new.community)
    if community is None:
        raise ApiError(422, "unknown_community", "没有找到这个居委会，请说一下完整的名字")
    return community


NOT_BOUND = "办理救助申请要先实名认证，确认是您本人。认证以后可以为您本人或户籍登记在同一户的家人申请。"
NOT_HOUSEHOLD = (
    "只能为您本人或户籍登记在同一户的家人申请。为其他人申请，请他本人实名认证后申请，"
    "或者带上身份证件到社区事务受理服务中心办理"
)


def applicant_for(sess: Session, new: NewApplication) -> tuple[Resident, Resident]:
    """(who applies, who it is for): a verified sender, for themselves or a member of their registry household.

    A stranger's ID number is refused exactly like an ID number the registry does not know."""
    submitter = resident_for_openid(sess, new.submitted_by_openid) if new.submitted_by_openid else None
    if submitter is None:
        raise ApiError(403, "not_bound", NOT_BOUND)
    applicant = sess.scalar(select(Resident).where(Resident.id_number == new.applicant_id_number))
    if applicant is None or applicant.household_id != submitter.household_id:
        raise ApiError(403, "not_household", NOT_HOUSEHOLD)
    return submitter, applicant


def create(sess: Session, body: dict[str, Any], idempotency_key: str) -> Application:
    """A new application, made by the request with this key (:mod:`backoffice.idempotency` runs it once)."""
    new = NewApplication.from_json(body)
    community = _check(new, sess)
    submitter, applicant = applicant_for(sess, new)
    now = datetime.now()
    app = Application(
        idempotency_key=idempotency_key,
        type=new.type,
        applicant_id_number=new.applicant_id_number,
        applicant_resident_id=applicant.id,
        relation="本人" if applicant.id == submitter.id else new.relation,
        phone=new.phone,
        community_code=community.code,
        hardship=new.hardship[:500],
        consent_at=now,
        submitted_by_openid=new.submitted_by_openid,
        submitted_by_resident_id=submitter.id,
        channel=new.channel,
        status="受理",
        created_at=now,
        updated_at=now,
    )
    app.history.append(StatusEvent(status="受理", at=now))
    sess.add(app)
    sess.flush()
    app.case_no = f"JZ{now:%Y%m%d}{app.id:05d}"
    sess.flush()
    return app


def transition(sess: Session, app: Application, status: str, reason: str) -> None:
    if status not in TRANSITIONS.get(app.status, ()):
        raise ApiError(409, "bad_transition", f"申请现在是“{app.status}”，不能直接改成“{status}”")
    if status in NEEDS_REASON and not reason.strip():
        raise ApiError(422, "reason_required", f"“{status}”需要写明原因")
    now = datetime.now()
    app.status, app.status_reason, app.updated_at = status, reason.strip(), now
    app.history.append(StatusEvent(status=status, reason=reason.strip(), at=now))
    if feed.still_bound(sess, app.submitted_by_openid, app.submitted_by_resident_id):  # tell whoever applied
        step = standards.process_step(status)
        feed.publish(
            sess,
            domain="assistance",
            kind="status",
            ref=app.case_no or "",
            recipient=app.submitted_by_openid or "",
            status=status,
            data={
                "what": f"{app.type}申请",
                "status_text": step["plain"],
                "next_step": step["next"],
                "reason": app.status_reason,
            },
            at=now,
        )


def owned_by(resident: Resident):
    """The SQL condition for a resident's own applications: as applicant, or submitted by them."""
    return or_(
        Application.applicant_id_number == resident.id_number, Application.submitted_by_resident_id == resident.id
    )


def application_json(sess: Session, app: Application) -> dict[str, Any]:
    step = standards.process_step(app.status)
    where = advisor_json(sess.get(Community, app.community_code))
    return {
        "case_no": app.case_no,
        "type": app.type,
        "applicant": {
            "id_number_masked": mask_id_number(app.applicant_id_number),
            "relation": app.relation,
            "phone_masked": mask_phone(app.phone),
        },
        "community_code": app.community_code,
        "status": app.status,
        "status_reason": app.status_reason,
        "status_text": step["plain"],
        "next_step": step["next"],
        "history": [
            {"status": e.status, "reason": e.reason, "at": e.at.isoformat(timespec="seconds")} for e in app.history
        ],
        "documents": standards.programs().get(app.type, {}).get("documents", []),
        "required_documents": documents.required(standards.programs().get(app.type, {}).get("required_documents", [])),
        "advisor": where["advisor"],
        "street": where["street"]["name"],
        "created_at": app.created_at.isoformat(timespec="seconds"),
    }
