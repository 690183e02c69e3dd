"""The assistance API: standards, the pre-check, advisors, applications and their review steps."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, jsonify, request
from sqlalchemy import false, select

from backoffice.assistance import applications, rules, standards
from backoffice.assistance.applications import Refused
from backoffice.assistance.models import Application
from backoffice.region.models import District
from backoffice.residents.registry import resident_for_openid
from common.db import session

bp = Blueprint("assistance", __name__, url_prefix="/assistance")


@bp.errorhandler(Refused)
def refused(exc: Refused):
    return jsonify(error=exc.code, message=exc.message), exc.status


def _district_code(value: str) -> str:
    value = value.strip()
    for d in session().scalars(select(District)):
        if value in (d.code, d.name, *d.aliases):
            return d.code
    raise Refused("unknown_district", "没有找到这个区，请说一下区的名字，比如“普陀区”", 404)


def _standard(district: str, on: str | None) -> standards.Standard:
    try:
        day = date.fromisoformat(on) if on else None
    except ValueError:
        raise Refused("bad_date", "日期格式不对，应为 YYYY-MM-DD", 400) from None
    std = standards.standard_for(_district_code(district), day)
    if std is None:
        raise Refused("no_standard", "这个区还没有公布适用的救助标准", 404)
    return std


@bp.get("/standards")
def get_standard():
    std = _standard(request.args.get("district", ""), request.args.get("on"))
    return jsonify(standard=std.as_json(), programs=standards.programs())


def _int(body: dict, key: str, minimum: int = 0) -> int:
    value = body.get(key, 0)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < minimum:
        raise Refused("bad_request", f"{key} 需要是不小于 {minimum} 的数字", 400)
    return int(value)


@bp.post("/precheck")
def precheck():
    body = request.get_json(silent=True) or {}
    std = _standard(str(body.get("district", "")), body.get("on"))
    circumstances = body.get("circumstances") or []
    unknown = set(circumstances) - set(rules.CIRCUMSTANCES)
    if unknown:
        raise Refused("bad_request", "circumstances 只能是：" + "、".join(rules.CIRCUMSTANCES), 400)
    household = rules.Household(size=_int(body, "household_size", 1), monthly_income=_int(body, "monthly_income"),
                                savings=_int(body, "savings"), vehicles=_int(body, "vehicles"),
                                circumstances=frozenset(circumstances),
                                medical_expenses_month=_int(body, "medical_expenses_month"))
    return jsonify(rules.evaluate(std, household).as_json(std))


@bp.get("/advisors")
def advisor():
    community = applications.find_community(session(), request.args.get("community", ""))
    if community is None:
        raise Refused("unknown_community", "没有找到这个居委会，请说一下完整的名字，比如“曹杨一村居委会”", 404)
    return jsonify(applications.advisor_json(community))


@bp.post("/applications")
def create_application():
    key = request.headers.get("Idempotency-Key", "").strip()
    if not key or len(key) > 80:
        raise Refused("idempotency_key_required", "缺少请求编号（Idempotency-Key）", 400)
    sess = session()
    app, created = applications.create(sess, request.get_json(silent=True) or {}, key)
    sess.commit()
    return jsonify(applications.application_json(sess, app)), (201 if created else 200)


@bp.get("/applications")
def list_applications():
    """A resident's own applications, by their bound openid or by their ID number."""
    sess = session()
    if openid := request.args.get("openid"):
        resident = resident_for_openid(sess, openid)
        if resident is None:
            raise Refused("not_bound", "这个微信号还没有实名绑定", 404)
        query = select(Application).where(applications.owned_by(resident))
    elif id_number := request.args.get("id_number"):
        query = select(Application).where(Application.applicant_id_number == id_number.strip().upper())
    else:
        raise Refused("bad_request", "需要 openid 或 id_number", 400)
    found = sess.scalars(query.order_by(Application.id.desc())).all()
    return jsonify(applications=[applications.application_json(sess, a) for a in found])


def _application(case_no: str) -> Application:
    """The case; with ``?openid=`` only when it belongs to that resident — otherwise it does not exist."""
    sess = session()
    query = select(Application).where(Application.case_no == case_no.strip().upper())
    if openid := request.args.get("openid"):
        resident = resident_for_openid(sess, openid)
        query = query.where(applications.owned_by(resident)) if resident else query.where(false())
    app = sess.scalar(query)
    if app is None:
        raise Refused("not_found", "没有查到这个编号的申请", 404)
    return app


@bp.get("/applications/<case_no>")
def get_application(case_no: str):
    return jsonify(applications.application_json(session(), _application(case_no)))


@bp.post("/applications/<case_no>/status")
def change_status(case_no: str):
    """Staff move a case to its next review step (退回/不予批准 with a reason)."""
    app = _application(case_no)
    body = request.get_json(silent=True) or {}
    applications.transition(session(), app, str(body.get("status", "")), str(body.get("reason", "")))
    session().commit()
    return jsonify(applications.application_json(session(), app))
