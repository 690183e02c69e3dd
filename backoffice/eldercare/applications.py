"""长护险 assessment and 适老化改造 applications: who they are for, creation, progress steps."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice.changes import feed
from backoffice.eldercare.models import EldercareApplication, EldercareScheme
from backoffice.eldercare.places import age_on
from backoffice.errors import ApiError
from backoffice.residents.models import Household, Resident
from backoffice.residents.registry import resident_for_openid
from common.masking import mask_name

MIN_AGE = 60
PREFIX = {"ltc_assessment": "CH", "home_retrofit": "SL"}
STEPS = {
    "ltc_assessment": {
        "submitted": "已受理，评估机构会打电话和您约上门评估的时间",
        "scheduled": "已约好上门评估",
        "assessed": "评估已完成",
        "rejected": "没有通过受理",
    },
    "home_retrofit": {
        "submitted": "已受理，街镇会派人上门看看家里情况",
        "surveyed": "已上门勘查，正在定改造方案",
        "in_progress": "正在施工",
        "completed": "已完工验收",
        "rejected": "没有通过审核",
    },
}
FINAL = {"assessed", "completed", "rejected"}


def subject_for(sess: Session, resident: Resident, today: date) -> Resident | None:
    """The elderly person the application is for: the resident if 60 or older, else the oldest such relative."""
    if age_on(resident.birth_date, today) >= MIN_AGE:
        return resident
    members = sess.get(Household, resident.household_id).members
    elders = [m for m in members if age_on(m.birth_date, today) >= MIN_AGE]
    return min(elders, key=lambda m: m.birth_date) if elders else None


def household_benefits(sess: Session, resident: Resident) -> set[str]:
    return {b for m in sess.get(Household, resident.household_id).members for b in m.benefits}


def retrofit_subsidy(sess: Session, resident: Resident) -> dict:
    """The subsidy rule of the resident's district that their household's benefits meet (the first listed that fits)."""
    scheme = sess.get(EldercareScheme, ("home_retrofit", resident.hukou_district_code)) or sess.get(
        EldercareScheme, ("home_retrofit", "")
    )
    benefits = household_benefits(sess, resident)
    for rule in scheme.details.get("subsidies", []) if scheme else []:
        needed = set(rule.get("benefits_any", []))
        if not needed or needed & benefits:
            return {"who": rule["who"], "subsidy": rule["subsidy"]}
    return {}


def create(sess: Session, kind: str, openid: str, key: str, now: datetime) -> EldercareApplication:
    """A new application, made by the request with this key (:mod:`backoffice.idempotency` runs it once)."""
    applicant = resident_for_openid(sess, openid)
    if applicant is None:
        raise ApiError(
            403,
            "not_bound",
            "您的微信还没有实名绑定，暂时不能在这里直接申请。可以带上身份证到社区事务受理服务中心办理。",
        )
    subject = subject_for(sess, applicant, now.date())
    if subject is None:
        raise ApiError(422, "no_elder", "您家里还没有满 60 周岁的老人，暂时不能申请这一项。")
    open_one = sess.scalar(
        select(EldercareApplication).where(
            EldercareApplication.kind == kind,
            EldercareApplication.subject_id == subject.id,
            EldercareApplication.status.not_in(FINAL),
        )
    )
    if open_one:
        raise ApiError(
            409,
            "already_applied",
            f"{mask_name(subject.name)}已经有一份申请在办理中（编号 {open_one.reference}），不用重复申请。",
            reference=open_one.reference,
        )
    app = EldercareApplication(
        reference=f"tmp-{uuid.uuid4().hex}"[:24],
        kind=kind,
        idempotency_key=key,
        openid=openid,
        applicant_id=applicant.id,
        subject_id=subject.id,
        district_code=subject.hukou_district_code,
        status="submitted",
        subsidy=retrofit_subsidy(sess, subject) if kind == "home_retrofit" else {},
        history=[{"status": "submitted", "at": now.isoformat(timespec="seconds"), "note": ""}],
        created_at=now,
        updated_at=now,
    )
    sess.add(app)
    sess.flush()
    app.reference = f"{PREFIX[kind]}{now:%Y%m%d}{app.id:05d}"
    return app


WHAT = {"ltc_assessment": "长护险评估申请", "home_retrofit": "适老化改造申请"}


def advance(sess: Session, app: EldercareApplication, status: str, note: str, level: int | None, now: datetime) -> None:
    if status not in STEPS[app.kind]:
        raise ApiError(400, "bad_status", f"状态只能是：{'、'.join(STEPS[app.kind])}")
    if app.status in FINAL:
        raise ApiError(409, "finished", "这份申请已经办结，不能再改状态。")
    if status == "assessed" and level not in range(0, 7):
        raise ApiError(400, "bad_level", "评估完成时需要给出 0 到 6 的照护等级。")
    app.status, app.updated_at = status, now
    if status == "assessed":
        app.level = level
    app.history = [*app.history, {"status": status, "at": now.isoformat(timespec="seconds"), "note": note}]
    if feed.still_bound(sess, app.openid, app.applicant_id):  # tell whoever applied
        feed.publish(
            sess,
            domain="eldercare",
            kind="status",
            ref=app.reference,
            recipient=app.openid,
            status=status,
            data={
                "what": WHAT[app.kind],
                "status_text": STEPS[app.kind][status]
                + (f"，评定的照护等级是{level}级" if status == "assessed" else ""),
                "next_step": "",
                "reason": note,
            },
            at=now,
        )


def as_json(sess: Session, app: EldercareApplication) -> dict:
    subject = sess.get(Resident, app.subject_id)
    return {
        "reference": app.reference,
        "kind": app.kind,
        "status": app.status,
        "status_text": STEPS[app.kind][app.status],
        "level": app.level,
        "subject": {"name": mask_name(subject.name), "self": app.subject_id == app.applicant_id},
        "district_code": app.district_code,
        "subsidy": app.subsidy,
        "history": [{**h, "text": STEPS[app.kind][h["status"]]} for h in app.history],
        "created_at": app.created_at.isoformat(timespec="seconds"),
        "updated_at": app.updated_at.isoformat(timespec="seconds"),
    }
