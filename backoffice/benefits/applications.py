"""Funeral and disability benefit applications: who may apply, creation, review steps, who may see them.

Only a verified resident applies (实名绑定, ``submitted_by_openid``). A disability subsidy is for the
resident or a member of their registry household, and the estimate comes from the registry; a funeral
benefit is for a deceased relative whose facts the resident declares (checked against the death
certificate when the case is reviewed). One person has one open or granted case per programme.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, object_session

from backoffice import documents
from backoffice.benefits import disability, funeral, programmes
from backoffice.benefits.models import NEEDS_REASON, OPEN, TRANSITIONS, BenefitApplication, BenefitStatusEvent
from backoffice.changes import feed
from backoffice.errors import ApiError
from backoffice.region.models import District
from backoffice.residents.models import Household, Resident
from backoffice.residents.registry import resident_for_openid
from common.masking import is_valid_id_number, mask_id_number, mask_name, mask_phone

NOT_BOUND = "在这里申请要先实名认证，确认是您本人。认证以后可以为您本人或户籍登记在同一户的家人申请。"
NOT_HOUSEHOLD = (
    "只能为您本人或户籍登记在同一户的家人申请。为其他人申请，请他本人或监护人实名认证后申请，"
    "或者带上残疾人证到社区事务受理服务中心办理"
)


def submitter(sess: Session, openid: str | None) -> Resident:
    resident = resident_for_openid(sess, openid) if openid else None
    if resident is None:
        raise ApiError(403, "not_bound", NOT_BOUND)
    return resident


def district_name(sess: Session, code: str) -> str:
    district = sess.get(District, code)
    return district.name if district else code


def district_code(sess: Session, said: str) -> str | None:
    """A district by code, name or alias; ``funeral.NOT_OF_CITY`` stays as it is."""
    said = said.strip()
    if said == funeral.NOT_OF_CITY:
        return said
    for d in sess.scalars(select(District)):
        if said in (d.code, d.name, *d.aliases):
            return d.code
    return None


def member_facts(sess: Session, member: Resident) -> disability.Member:
    household = sess.get(Household, member.household_id)
    benefits = {b for m in household.members for b in m.benefits}
    receiving = programmes.rules()["disability"]["receiving_benefit"] in member.benefits
    return disability.Member(
        member.disability_grade, member.disability_category, disability.household_status(benefits), receiving
    )


def relation_to(resident: Resident, member: Resident) -> str:
    return "本人" if member.id == resident.id else member.relation


def _open_case(sess: Session, programme: str, subject_key: str) -> BenefitApplication | None:
    return sess.scalar(
        select(BenefitApplication).where(
            BenefitApplication.programme == programme,
            BenefitApplication.subject_key == subject_key,
            or_(BenefitApplication.status.in_(OPEN), BenefitApplication.status == "发放"),
        )
    )


def _refuse_repeat(found: BenefitApplication | None, by: Resident, who: str) -> None:
    if found is None:
        return
    mine = found.submitted_by_resident_id == by.id
    text = f"{who}的{programmes.title(found.programme)}已经有一份申请" + (
        f"（编号 {found.case_no}），现在是“{found.status}”，不用重复申请。" if mine else "，不用重复申请。"
    )
    raise ApiError(409, "already_applied", text, **({"reference": found.case_no} if mine else {}))


def _funeral(sess: Session, body: dict[str, Any], by: Resident, now: datetime) -> dict[str, Any]:
    programme = body["programme"]
    deceased = body.get("deceased") or {}
    id_number = str(deceased.get("id_number", "")).strip().upper()
    name = str(deceased.get("name", "")).strip()[:20]
    if not name:
        raise ApiError(422, "name_required", "请告诉我去世亲人的名字")
    if not is_valid_id_number(id_number):
        raise ApiError(422, "invalid_id_number", "身份证号码不对，请核对一下")
    try:
        died = date.fromisoformat(str(deceased.get("death_date", "")))
    except ValueError:
        raise ApiError(422, "invalid_death_date", "去世的日期不对，请再说一下是哪一天") from None
    window = int(programmes.section(programme)["apply_within_days"])
    if died > now.date():
        raise ApiError(422, "invalid_death_date", "去世的日期不能是以后的日子，请再核对一下")
    if died < now.date() - timedelta(days=window):
        raise ApiError(
            422,
            "too_late",
            f"{programmes.title(programme)}要在亲人去世后{window}天内申请，已经过了期限。有特殊情况请到区殡葬管理所咨询",
        )
    facts_in = body.get("facts") or {}
    code = district_code(sess, str(facts_in.get("district", "")))
    status = str(facts_in.get("status", funeral.STATUSES[-1]))
    burial = str(facts_in.get("burial", funeral.UNDECIDED))
    if code is None:
        raise ApiError(422, "unknown_district", "没有找到这个区，请说一下去世亲人户口所在的区")
    if status not in funeral.STATUSES:
        raise ApiError(422, "bad_status", "家庭情况只能是：" + "、".join(funeral.STATUSES))
    facts = funeral.Facts(code, status, burial)
    estimate = funeral.evaluate(facts, district_name(sess, code))[programme]
    if not estimate["eligible"]:
        raise ApiError(422, "not_eligible", "按您说的情况不符合条件：" + estimate["reasons"][0]["text"])
    _refuse_repeat(_open_case(sess, programme, id_number), by, mask_name(name))
    return {
        "subject_key": id_number,
        "subject_resident_id": None,
        "subject_name": name,
        "relation": str(body.get("relation") or "亲属")[:8],
        "details": {"id_number": id_number, "death_date": died.isoformat()},
        "facts": {"district": code, "status": status, "burial": burial},
        "estimate": {"amount": estimate["amount"], "reasons": estimate["reasons"]},
        "required_documents": funeral.documents(programme, facts),
        "district_code": code if code != funeral.NOT_OF_CITY else by.hukou_district_code,
    }


def _disability(sess: Session, body: dict[str, Any], by: Resident) -> dict[str, Any]:
    programme = body["programme"]
    try:
        member = sess.get(Resident, int(body.get("member_id", by.id)))
    except (TypeError, ValueError):
        member = None
    if member is None or member.household_id != by.household_id:
        raise ApiError(403, "not_household", NOT_HOUSEHOLD)
    facts = member_facts(sess, member)
    who = "您" if member.id == by.id else f"您家{mask_name(member.name)}"
    if facts.receiving:
        raise ApiError(409, "already_receiving", f"{who}已经在领残疾人两项补贴了，不用再申请。")
    estimate = disability.evaluate(facts)[programme]
    if not estimate["eligible"]:
        raise ApiError(
            422,
            "not_eligible",
            f"{who}暂时不符合{programmes.title(programme)}的条件：" + estimate["reasons"][0]["text"],
        )
    _refuse_repeat(_open_case(sess, programme, f"resident:{member.id}"), by, who)
    return {
        "subject_key": f"resident:{member.id}",
        "subject_resident_id": member.id,
        "subject_name": member.name,
        "relation": relation_to(by, member),
        "details": {},
        "facts": {"grade": facts.grade, "category": facts.category, "household_status": facts.household_status},
        "estimate": {"monthly": estimate["monthly"], "reasons": estimate["reasons"]},
        "required_documents": disability.documents(programme),
        "district_code": member.hukou_district_code,
    }


def create(sess: Session, body: dict[str, Any], idempotency_key: str) -> BenefitApplication:
    """A new application, made by the request with this key (:mod:`backoffice.idempotency` runs it once)."""
    programme = str(body.get("programme", ""))
    if programme not in programmes.PROGRAMMES:
        raise ApiError(
            422,
            "unknown_programme",
            "申请的项目不对，可以是：" + "、".join(map(programmes.title, programmes.PROGRAMMES)),
        )
    by = submitter(sess, body.get("submitted_by_openid"))
    now = datetime.now()
    fields = _funeral(sess, body, by, now) if programme in programmes.FUNERAL else _disability(sess, body, by)
    app = BenefitApplication(
        idempotency_key=idempotency_key,
        programme=programme,
        phone=by.phone,
        submitted_by_openid=body.get("submitted_by_openid"),
        submitted_by_resident_id=by.id,
        channel=str(body.get("channel", ""))[:16],
        status="受理",
        created_at=now,
        updated_at=now,
        **fields,
    )
    app.history.append(BenefitStatusEvent(status="受理", at=now))
    sess.add(app)
    sess.flush()
    app.case_no = f"{programmes.PREFIX[programme]}{now:%Y%m%d}{app.id:05d}"
    sess.flush()
    return app


def transition(sess: Session, app: BenefitApplication, status: str, reason: str) -> None:
    if status not in TRANSITIONS.get(app.status, ()):
        raise ApiError(409, "bad_transition", f"申请现在是“{app.status}”，不能直接改成“{status}”")
    if status in NEEDS_REASON and not reason.strip():
        raise ApiError(422, "reason_required", f"“{status}”需要写明原因")
    now = datetime.now()
    app.status, app.status_reason, app.updated_at = status, reason.strip(), now
    app.history.append(BenefitStatusEvent(status=status, reason=reason.strip(), at=now))
    if feed.still_bound(sess, app.submitted_by_openid, app.submitted_by_resident_id):  # tell whoever applied
        step = programmes.process_step(status)
        feed.publish(
            sess,
            domain="benefits",
            kind="status",
            ref=app.case_no or "",
            recipient=app.submitted_by_openid or "",
            status=status,
            data={
                "what": f"{programmes.title(app.programme)}申请",
                "status_text": step["plain"],
                "next_step": step["next"],
                "reason": app.status_reason,
            },
            at=now,
        )


def submitted_by(resident: Resident):
    """The SQL condition for the applications a resident made, or that are for them."""
    return or_(
        BenefitApplication.submitted_by_resident_id == resident.id,
        BenefitApplication.subject_resident_id == resident.id,
    )


def subject_ref(app: BenefitApplication) -> str:
    """Who the case is for, the same for every case of one person, without saying who: the documents of
    one person's cases (两项补贴, or both funeral benefits of one deceased) are the same photos. A
    disability subsidy's member is ``resident:<id>`` (the pre-check shows those ids); a deceased is
    named by the first case made for them, never by their ID number."""
    if app.subject_resident_id is not None:
        return app.subject_key
    first = object_session(app).scalar(
        select(func.min(BenefitApplication.id)).where(
            BenefitApplication.subject_key == app.subject_key,
            BenefitApplication.programme.in_(programmes.FUNERAL),
        )
    )
    return f"deceased:{first}"


def application_json(app: BenefitApplication) -> dict[str, Any]:
    step = programmes.process_step(app.status)
    details = dict(app.details)
    if "id_number" in details:
        details["id_number"] = mask_id_number(details["id_number"])
    return {
        "case_no": app.case_no,
        "programme": app.programme,
        "title": programmes.title(app.programme),
        "subject": {"name": mask_name(app.subject_name), "relation": app.relation, "ref": subject_ref(app), **details},
        "facts": app.facts,
        "estimate": app.estimate,
        "phone_masked": mask_phone(app.phone),
        "district_code": app.district_code,
        "status": app.status,
        "status_reason": app.status_reason,
        "status_text": step["plain"],
        "next_step": step["next"],
        "history": [
            {"status": e.status, "reason": e.reason, "at": e.at.isoformat(timespec="seconds")} for e in app.history
        ],
        "required_documents": documents.required(list(app.required_documents)),
        "source": programmes.source(app.programme),
        "created_at": app.created_at.isoformat(timespec="seconds"),
    }
