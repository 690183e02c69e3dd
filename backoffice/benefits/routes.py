"""The benefits API: the funeral and disability pre-checks, applications and their review steps."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, jsonify, request
from sqlalchemy import false, select

from backoffice import contract, documents, idempotency
from backoffice.benefits import applications, disability, funeral, programmes, schemas
from backoffice.benefits.models import OPEN, BenefitApplication
from backoffice.errors import ApiError
from backoffice.residents.models import Household
from backoffice.residents.registry import resident_for_openid
from common.db import session
from common.masking import mask_name

bp = Blueprint("benefits", __name__, url_prefix="/benefits")
CASE_NO = {"case_no": "case number, e.g. BZ2026120600012 (funeral) or CJ2026120600012 (disability)"}


def _age(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


@bp.post("/funeral/precheck")
@contract.operation(
    "Funeral pre-check: the basic funeral fee waiver and the eco-burial subsidy for the declared facts, with "
    "reasons, amounts and the documents to bring (an estimate; the bureau checks the facts)",
    body=schemas.FuneralPrecheck,
    responses={200: ("both estimates", schemas.FuneralPrecheckAnswer)},
    errors={404: "unknown district (`unknown_district`)", 422: "bad status (`bad_status`)"},
)
def funeral_precheck():
    body = request.get_json(silent=True) or {}
    sess = session()
    code = applications.district_code(sess, str(body.get("district", "")))
    if code is None:
        raise ApiError(404, "unknown_district", "没有找到这个区，请说一下区的名字，比如“普陀区”")
    status = str(body.get("status") or funeral.STATUSES[-1])
    if status not in funeral.STATUSES:
        raise ApiError(422, "bad_status", "家庭情况只能是：" + "、".join(funeral.STATUSES))
    facts = funeral.Facts(code, status, str(body.get("burial") or funeral.UNDECIDED))
    answer = funeral.evaluate(facts, applications.district_name(sess, code))
    answer["documents"] = {p: documents.required(funeral.documents(p, facts)) for p in programmes.FUNERAL}
    answer["source"] = {p: programmes.source(p) for p in programmes.FUNERAL}
    return jsonify(answer)


@bp.get("/disability/standards")
@contract.operation(
    "The two disability subsidies' amounts (困难残疾人生活补贴, 重度残疾人护理补贴) and their source",
    responses={200: ("the amounts", schemas.DisabilityStandards)},
)
def disability_standards():
    rules = programmes.rules()["disability"]
    return jsonify(
        living=rules["living"], care=rules["care"], source=rules["source"], effective_from=str(rules["effective_from"])
    )


@bp.get("/disability/precheck")
@contract.operation(
    "Disability pre-check for a verified resident: each household member with a disability record (grade, category) "
    "against both subsidies, with the household's assistance status, reasons and amounts",
    query=schemas.DisabilityPrecheckQuery,
    responses={200: ("one entry per member with a disability record", schemas.DisabilityPrecheckAnswer)},
    errors={404: "not_bound"},
)
def disability_precheck():
    sess = session()
    resident = resident_for_openid(sess, request.args.get("openid", ""))
    if resident is None:
        raise ApiError(404, "not_bound", "这个微信号还没有实名绑定")
    today = date.today()
    members = []
    for member in sess.get(Household, resident.household_id).members:
        if not member.disability_grade:
            continue
        facts = applications.member_facts(sess, member)
        open_cases = sess.scalars(
            select(BenefitApplication.case_no).where(
                BenefitApplication.subject_key == f"resident:{member.id}", BenefitApplication.status.in_(OPEN)
            )
        ).all()
        members.append(
            {
                "id": member.id,
                "name": mask_name(member.name),
                "self": member.id == resident.id,
                "age": _age(member.birth_date, today),
                "grade": facts.grade,
                "category": facts.category,
                "household_status": facts.household_status,
                "receiving": facts.receiving,
                "subsidies": disability.evaluate(facts),
                "open_cases": list(open_cases),
            }
        )
    answer = {
        "members": members,
        "documents": {p: documents.required(disability.documents(p)) for p in programmes.DISABILITY},
        "caveat": disability.CAVEAT,
        "source": programmes.rules()["disability"]["source"],
    }
    if not members:
        answer["no_record"] = disability.evaluate(disability.Member(0, "", disability.NONE, False))["disability_care"]
    return jsonify(answer)


def _render(sess, case_no: str) -> dict:
    return applications.application_json(
        sess.scalar(select(BenefitApplication).where(BenefitApplication.case_no == case_no))
    )


IDEMPOTENCY = idempotency.Policy(
    scope="benefits",
    max_length=80,
    replay_status=200,
    render=_render,
    missing=ApiError(400, "idempotency_key_required", "缺少请求编号（Idempotency-Key）"),
    conflict=ApiError(409, "idempotency_key_reused", "这个请求编号已经用在另一份申请上了"),
)


@bp.post("/applications")
@contract.operation(
    "Apply for a funeral benefit (for a deceased relative, facts declared) or a disability subsidy (for the resident "
    "or a member of their registry household) (idempotent); the answer names the documents the case needs",
    body=schemas.BenefitApplicationRequest,
    headers=[
        contract.idempotency_key(
            80, True, "the same key and body return the same case (200, header `Idempotent-Replayed: true`)"
        )
    ],
    responses={
        201: ("created", schemas.BenefitApplication),
        200: ("already created with this key", schemas.BenefitApplication),
    },
    errors={
        400: "no Idempotency-Key (`idempotency_key_required`)",
        403: "`not_bound`: the sender is not verified (实名认证); `not_household`: the member is not in their household",
        409: "`idempotency_key_reused`; `already_applied` (an open or granted case for the same person; with `reference`, the case number, when the resident made it); "
        "`already_receiving` (the registry shows the subsidies paid)",
        422: "unknown_programme, name_required, invalid_id_number, invalid_death_date, too_late, unknown_district, "
        "bad_status, not_eligible",
    },
)
def create_application():
    body, key = request.get_json(silent=True) or {}, idempotency.request_key(IDEMPOTENCY)

    def work(sess) -> idempotency.Answer:
        app = applications.create(sess, body, key)
        return idempotency.Answer(applications.application_json(app), 201, app.case_no)

    return idempotency.run(IDEMPOTENCY, work)


@bp.get("/applications")
@contract.operation(
    "A resident's own benefit applications (made by them, or for them), newest first",
    query=schemas.BenefitApplicationsQuery,
    responses={200: ("newest first", schemas.BenefitApplicationList)},
    errors={404: "not_bound"},
)
def list_applications():
    sess = session()
    resident = resident_for_openid(sess, request.args.get("openid", ""))
    if resident is None:
        raise ApiError(404, "not_bound", "这个微信号还没有实名绑定")
    query = select(BenefitApplication).where(applications.submitted_by(resident))
    if topic := request.args.get("topic"):
        query = query.where(BenefitApplication.programme.in_(programmes.TOPICS.get(topic, ())))
    found = sess.scalars(query.order_by(BenefitApplication.id.desc())).all()
    return jsonify(applications=[applications.application_json(a) for a in found])


def _application(case_no: str) -> BenefitApplication:
    """The case; with ``?openid=`` only when it is that resident's — otherwise it does not exist."""
    sess = session()
    query = select(BenefitApplication).where(BenefitApplication.case_no == case_no.strip().upper())
    if "openid" in request.args:
        resident = resident_for_openid(sess, request.args["openid"])
        query = query.where(applications.submitted_by(resident)) if resident else query.where(false())
    app = sess.scalar(query)
    if app is None:
        raise ApiError(404, "not_found", "没有查到这个编号的申请")
    return app


@bp.get("/applications/<case_no>")
@contract.operation(
    "One benefit application; with openid, only if it is that resident's (otherwise 404, as for none)",
    path=CASE_NO,
    query=schemas.BenefitCaseQuery,
    responses={200: ("the application", schemas.BenefitApplication)},
    errors={404: "not_found"},
)
def get_application(case_no: str):
    return jsonify(applications.application_json(_application(case_no)))


@bp.post("/applications/<case_no>/status")
@contract.operation(
    "Staff move a case to its next review step (退回 / 不予批准 need a reason)",
    path=CASE_NO,
    body=schemas.BenefitStatusChange,
    responses={200: ("the application", schemas.BenefitApplication)},
    errors={404: "not_found", 409: "bad_transition", 422: "reason_required"},
)
def change_status(case_no: str):
    app = _application(case_no)
    body = request.get_json(silent=True) or {}
    applications.transition(session(), app, str(body.get("status", "")), str(body.get("reason", "")))
    session().commit()
    return jsonify(applications.application_json(app))
