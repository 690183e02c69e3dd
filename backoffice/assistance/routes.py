"""The assistance API: standards, the pre-check, advisors, applications and their review steps."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, jsonify, request
from sqlalchemy import false, select

from backoffice import contract, idempotency
from backoffice.assistance import applications, eligibility, rules, schemas, standards
from backoffice.assistance.models import Application
from backoffice.errors import ApiError
from backoffice.params import whole_number
from backoffice.region.models import District
from backoffice.residents.registry import resident_for_openid
from common.db import session

bp = Blueprint("assistance", __name__, url_prefix="/assistance")
CASE_NO = {"case_no": "case number, e.g. JZ2026112300012"}


def _district_code(value: str) -> str:
    value = value.strip()
    for d in session().scalars(select(District)):
        if value in (d.code, d.name, *d.aliases):
            return d.code
    raise ApiError(404, "unknown_district", "没有找到这个区，请说一下区的名字，比如“普陀区”")


def _standard(district: str, on: str | None) -> standards.Standard:
    try:
        day = date.fromisoformat(on) if on else None
    except ValueError:
        raise ApiError(400, "bad_date", "日期格式不对，应为 YYYY-MM-DD") from None
    std = standards.standard_for(_district_code(district), day)
    if std is None:
        raise ApiError(404, "no_standard", "这个区还没有公布适用的救助标准")
    return std


@bp.get("/standards")
@contract.operation(
    "The assistance standard in force in a district, and the programmes (documents to bring)",
    query=schemas.StandardQuery,
    responses={200: ("standard and programmes", schemas.StandardAnswer)},
    errors={400: "bad date (`bad_date`)", 404: "unknown district, or no standard in force"},
)
def get_standard():
    std = _standard(request.args.get("district", ""), request.args.get("on"))
    return jsonify(standard=std.as_json(), programs=standards.programs())


@bp.get("/eligibility")
@contract.operation(
    "Who may be eligible for each assistance programme, as an audience rule (the campaign builder's start)",
    query=schemas.EligibilityQuery,
    responses={200: ("one entry per programme", schemas.EligibilityAnswer)},
    errors={400: "bad date (`bad_date`)"},
)
def get_eligibility():
    try:
        on = date.fromisoformat(request.args["on"]) if request.args.get("on") else date.today()
    except ValueError:
        raise ApiError(400, "bad_date", "日期格式不对，应为 YYYY-MM-DD") from None
    names = {d.code: d.name for d in session().scalars(select(District))}
    return jsonify(benefits=eligibility.eligibility(standards.in_force(on), names, on))


@bp.post("/precheck")
@contract.operation(
    "Eligibility pre-check of declared household figures against the district's standard (an estimate; the bureau "
    "decides)",
    body=schemas.Precheck,
    responses={200: ("the estimate with its reasons", schemas.PrecheckAnswer)},
    errors={400: "bad figures (`bad_request`, `bad_date`)", 404: "unknown district, or no standard in force"},
)
def precheck():
    body = request.get_json(silent=True) or {}
    std = _standard(str(body.get("district", "")), body.get("on"))
    circumstances = body.get("circumstances") or []
    unknown = set(circumstances) - set(rules.CIRCUMSTANCES)
    if unknown:
        raise ApiError(400, "bad_request", "circumstances 只能是：" + "、".join(rules.CIRCUMSTANCES))
    household = rules.Household(
        size=whole_number(body.get("household_size", 0), "household_size", 1),
        monthly_income=whole_number(body.get("monthly_income", 0), "monthly_income"),
        savings=whole_number(body.get("savings", 0), "savings"),
        vehicles=whole_number(body.get("vehicles", 0), "vehicles"),
        circumstances=frozenset(circumstances),
        medical_expenses_month=whole_number(body.get("medical_expenses_month", 0), "medical_expenses_month"),
    )
    return jsonify(rules.evaluate(std, household).as_json(std))


@bp.get("/advisors")
@contract.operation(
    "The community (by code, name, alias or a sentence naming it) and its 社区救助顾问",
    query=schemas.AdvisorQuery,
    responses={200: ("community, street and advisor", schemas.AssistanceAdvisor)},
    errors={404: "unknown community"},
)
def advisor():
    community = applications.find_community(session(), request.args.get("community", ""))
    if community is None:
        raise ApiError(404, "unknown_community", "没有找到这个居委会，请说一下完整的名字，比如“曹杨一村居委会”")
    return jsonify(applications.advisor_json(community))


def _render(sess, case_no: str) -> dict:
    return applications.application_json(sess, sess.scalar(select(Application).where(Application.case_no == case_no)))


IDEMPOTENCY = idempotency.Policy(
    scope="assistance",
    max_length=80,
    replay_status=200,
    render=_render,
    missing=ApiError(400, "idempotency_key_required", "缺少请求编号（Idempotency-Key）"),
    conflict=ApiError(409, "idempotency_key_reused", "这个请求编号已经用在另一份申请上了"),
)


@bp.post("/applications")
@contract.operation(
    "Apply for social assistance (idempotent): a verified sender, for themselves or a member of their registry "
    "household",
    body=schemas.AssistanceApplicationRequest,
    headers=[
        contract.idempotency_key(
            80, True, "the same key and body return the same case (200, header `Idempotent-Replayed: true`)"
        )
    ],
    responses={
        201: ("created", schemas.AssistanceApplication),
        200: ("already created with this key", schemas.AssistanceApplication),
    },
    errors={
        400: "no Idempotency-Key (`idempotency_key_required`)",
        403: "`not_bound`: the submitting sender (`submitted_by_openid`) is not verified (实名认证); `not_household`: "
        "the applicant is neither that resident nor a member of their registry household",
        409: "`idempotency_key_reused`: the key was used for another application",
        422: "consent_required, invalid_id_number, invalid_phone, unknown_type, unknown_community, hardship_required",
    },
)
def create_application():
    """Created (201) once per ``Idempotency-Key``; the same key and body again answer the same case (200)."""
    body, key = request.get_json(silent=True) or {}, idempotency.request_key(IDEMPOTENCY)

    def work(sess) -> idempotency.Answer:
        app = applications.create(sess, body, key)
        return idempotency.Answer(applications.application_json(sess, app), 201, app.case_no)

    return idempotency.run(IDEMPOTENCY, work)


@bp.get("/applications")
@contract.operation(
    "A resident's own applications: by bound openid (as applicant or as the one who applied) or by the applicant's ID "
    "number",
    query=schemas.ApplicationsQuery,
    responses={200: ("newest first", schemas.AssistanceApplicationList)},
    errors={400: "neither openid nor id_number", 404: "not_bound"},
)
def list_applications():
    """A resident's own applications, by their bound openid or by their ID number."""
    sess = session()
    if openid := request.args.get("openid"):
        resident = resident_for_openid(sess, openid)
        if resident is None:
            raise ApiError(404, "not_bound", "这个微信号还没有实名绑定")
        query = select(Application).where(applications.owned_by(resident))
    elif id_number := request.args.get("id_number"):
        query = select(Application).where(Application.applicant_id_number == id_number.strip().upper())
    else:
        raise ApiError(400, "bad_request", "需要 openid 或 id_number")
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
        raise ApiError(404, "not_found", "没有查到这个编号的申请")
    return app


@bp.get("/applications/<case_no>")
@contract.operation(
    "One application by case number; with openid, only if it is that resident's (otherwise 404, as for a case that "
    "does not exist)",
    path=CASE_NO,
    query=schemas.CaseQuery,
    responses={200: ("the application", schemas.AssistanceApplication)},
    errors={404: "not_found"},
)
def get_application(case_no: str):
    return jsonify(applications.application_json(session(), _application(case_no)))


@bp.post("/applications/<case_no>/status")
@contract.operation(
    "Staff move a case to its next review step (退回 / 不予批准 need a reason)",
    path=CASE_NO,
    query=schemas.CaseQuery,
    body=schemas.AssistanceStatusChange,
    responses={200: ("the application", schemas.AssistanceApplication)},
    errors={404: "not_found", 409: "bad_transition", 422: "reason_required"},
)
def change_status(case_no: str):
    """Staff move a case to its next review step (退回/不予批准 with a reason)."""
    app = _application(case_no)
    body = request.get_json(silent=True) or {}
    applications.transition(session(), app, str(body.get("status", "")), str(body.get("reason", "")))
    session().commit()
    return jsonify(applications.application_json(session(), app))
