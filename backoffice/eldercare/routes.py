"""The eldercare API: nearest facilities, live beds, allowances, schemes, 长护险 / 适老化改造 applications."""

from __future__ import annotations

from datetime import date, datetime

from flask import Blueprint, jsonify, request
from sqlalchemy import select

from backoffice import contract, idempotency
from backoffice.assistance.schemas import EligibilityAnswer
from backoffice.eldercare import applications, eligibility, schemas
from backoffice.eldercare.models import (
    APPLICATION_KINDS,
    FACILITY_TYPES,
    EldercareAllowance,
    EldercareApplication,
    EldercareScheme,
    Facility,
)
from backoffice.eldercare.places import Origin, age_on, district_code, home_of, resolve_place
from backoffice.eldercare.search import nearest
from backoffice.errors import ApiError
from backoffice.params import query_within
from backoffice.region.models import District
from backoffice.residents.models import Household
from backoffice.residents.registry import resident_for_openid
from common.db import session
from common.masking import mask_name

bp = Blueprint("eldercare", __name__, url_prefix="/eldercare")
MAX_PAGE = 10
CODE = {"code": "facility code"}
REFERENCE = {"reference": "application number"}


def facility_json(f: Facility, distance_m: float | None = None) -> dict:
    out = {
        "code": f.code,
        "type": f.type,
        "name": f.name,
        "district_code": f.district_code,
        "street_code": f.street_code,
        "address": f.address,
        "location": {"lat": f.lat, "lng": f.lng},
        "phone": f.phone,
        "hours": f.hours,
        "services": f.services,
        "price": f.price,
        "beds": f.beds,
        "free_beds": f.free_beds,
    }
    if distance_m is not None:
        out["distance_m"] = round(distance_m)
    return out


def _origin() -> Origin:
    """The search origin from lat/lng, a place name, or the bound resident's home."""
    sess, args = session(), request.args
    if args.get("lat") and args.get("lng"):
        try:
            lat, lng = float(args["lat"]), float(args["lng"])
        except ValueError:
            raise ApiError(400, "bad_location", "位置坐标格式不对。") from None
        if not (-90 <= lat <= 90 and -180 <= lng <= 180):
            raise ApiError(400, "bad_location", "位置坐标不在有效范围内。")
        return Origin("location", "", lat, lng)
    if args.get("place"):
        origin = resolve_place(sess, args["place"])
        if origin is None:
            raise ApiError(
                404, "place_not_found", "没有找到这个地方。可以说一下所在的街道、居委会或者附近的地铁站、公园。"
            )
        return origin
    if args.get("openid"):
        resident = resident_for_openid(sess, args["openid"])
        if resident is None:
            raise ApiError(404, "not_bound", "还不知道您住在哪里。发一个微信位置，或者告诉我街道、小区的名字就行。")
        return home_of(sess, resident)
    raise ApiError(400, "no_origin", "需要位置坐标（lat、lng）、地名（place）或微信身份（openid）中的一个。")


@bp.get("/facilities")
@contract.operation(
    "Nearest facilities of a type from a location, a named place or the bound resident's home; types with beds list "
    "places with a free bed first. Paged.",
    query=schemas.FacilityQuery,
    responses={200: ("origin, facilities (nearest first), has_more, next_offset", schemas.FacilitySearch)},
    errors={400: "bad_type, bad_location or no_origin", 404: "place_not_found or not_bound"},
)
def find_facilities():
    type_ = request.args.get("type", "")
    if type_ not in FACILITY_TYPES:
        raise ApiError(400, "bad_type", f"服务类型只能是：{'、'.join(FACILITY_TYPES)}")
    origin = _origin()
    limit, offset = query_within("limit", 5, 1, MAX_PAGE), query_within("offset", 0, 0, 1000)
    page = nearest(session(), origin.lat, origin.lng, type_, limit=limit, offset=offset)
    return jsonify(
        origin=origin.as_json(),
        type=type_,
        offset=offset,
        has_more=page.has_more,
        next_offset=offset + len(page.hits) if page.has_more else None,
        facilities=[facility_json(h.facility, h.distance_m) for h in page.hits],
    )


@bp.get("/facilities/<code>")
@contract.operation(
    "One facility", path=CODE, responses={200: ("the facility", schemas.Facility)}, errors={404: "not_found"}
)
def get_facility(code: str):
    f = session().get(Facility, code)
    if f is None:
        raise ApiError(404, "not_found", "没有这家机构。")
    return jsonify(facility_json(f))


@bp.put("/facilities/<code>/beds")
@contract.operation(
    "Live bed availability reported by the facility: free (and optionally total) beds per care level",
    path=CODE,
    body=schemas.BedsUpdate,
    responses={200: ("the updated facility", schemas.Facility)},
    errors={400: "bad_request, unknown_level or bad_beds", 404: "not_found"},
)
def update_beds(code: str):
    """The facility reports its current free beds by care level: {"beds": [{"level", "free", "total"?}]}."""
    sess = session()
    f = sess.get(Facility, code)
    if f is None:
        raise ApiError(404, "not_found", "没有这家机构。")
    body = request.get_json(silent=True) or {}
    updates = body.get("beds")
    if not isinstance(updates, list) or not updates:
        raise ApiError(400, "bad_request", "需要 beds 列表：[{level, free}]。")
    beds = {b["level"]: dict(b) for b in f.beds}
    for u in updates:
        level, free, total = u.get("level"), u.get("free"), u.get("total", beds.get(u.get("level"), {}).get("total"))
        if level not in beds and "total" not in u:
            raise ApiError(400, "unknown_level", f"这家机构没有“{level}”床位；新增等级请同时给出 total。")
        if not isinstance(free, int) or not isinstance(total, int) or not 0 <= free <= total:
            raise ApiError(400, "bad_beds", "空余床位数要在 0 和总床位数之间。")
        beds[level] = {"level": level, "total": total, "free": free}
    f.beds = list(beds.values())
    sess.commit()
    return jsonify(facility_json(f))


@bp.get("/places")
@contract.operation(
    "Resolve a place name (community, street/town, landmark, district) to GCJ-02 coordinates",
    query=schemas.PlaceQuery,
    responses={200: ("kind, name, lat, lng", schemas.Origin)},
    errors={404: "place_not_found"},
)
def find_place():
    origin = resolve_place(session(), request.args.get("name", ""))
    if origin is None:
        raise ApiError(404, "place_not_found", "没有找到这个地方。")
    return jsonify(origin.as_json())


def _district_and_resident():
    sess, args = session(), request.args
    resident = resident_for_openid(sess, args.get("openid", ""))
    code = district_code(sess, args["district"]) if args.get("district") else None
    if args.get("district") and code is None:
        raise ApiError(404, "district_not_found", "没有找到这个区。")
    return code or (resident.hukou_district_code if resident else None), resident


def allowance_json(a: EldercareAllowance, names: dict[str, str]) -> dict:
    return {
        "district_code": a.district_code,
        "district_name": names.get(a.district_code, ""),
        "kind": a.kind,
        "age_min": a.age_min,
        "age_max": a.age_max,
        "monthly_amount": a.monthly_amount,
        "conditions": a.conditions,
        "documents": a.documents,
        "how_to_apply": a.how_to_apply,
        "source": a.source,
    }


def scheme_json(s: EldercareScheme) -> dict:
    return {
        "key": s.key,
        "district_code": s.district_code or None,
        "title": s.title,
        "summary": s.summary,
        "eligibility": s.eligibility,
        "documents": s.documents,
        "how_to_apply": s.how_to_apply,
        "details": s.details,
        "source": s.source,
    }


@bp.get("/eligibility")
@contract.operation(
    "Who may be eligible for each old-age allowance, as an audience rule (the campaign builder's start)",
    responses={200: ("one entry per allowance", EligibilityAnswer)},
)
def get_eligibility():
    sess = session()
    names = {d.code: d.name for d in sess.scalars(select(District))}
    bands = sess.scalars(select(EldercareAllowance).order_by(EldercareAllowance.id)).all()
    return jsonify(benefits=eligibility.eligibility(list(bands), names, date.today()))


def _scheme(key: str, code: str | None) -> EldercareScheme | None:
    return (session().get(EldercareScheme, (key, code)) if code else None) or session().get(EldercareScheme, (key, ""))


@bp.get("/allowances")
@contract.operation(
    "高龄津贴 / 老年综合津贴 age bands of a district (named or the bound resident's), 养老服务补贴, and for a bound resident "
    "each household member of allowance age with the band and whether it is already received",
    query=schemas.DistrictQuery,
    responses={200: ("district, allowances, service_subsidy, household (null when not bound)", schemas.Allowances)},
    errors={404: "district_not_found"},
)
def list_allowances():
    """Age-band allowances of a district (named, or the bound resident's), 养老服务补贴, and — for a bound
    resident — each household member of allowance age with the band that applies and whether it is received."""
    code, resident = _district_and_resident()
    sess = session()
    query = select(EldercareAllowance).order_by(
        EldercareAllowance.district_code, EldercareAllowance.kind, EldercareAllowance.age_min
    )
    rows = sess.scalars(query.where(EldercareAllowance.district_code == code) if code else query).all()
    household = None
    if resident:
        today = date.today()
        household = []
        for m in sess.get(Household, resident.household_id).members:
            age = age_on(m.birth_date, today)
            band = next(
                (
                    a
                    for a in rows
                    if a.district_code == m.hukou_district_code
                    and a.age_min <= age
                    and (a.age_max is None or age <= a.age_max)
                ),
                None,
            )
            if band:
                household.append(
                    {
                        "name": mask_name(m.name),
                        "self": m.id == resident.id,
                        "age": age,
                        "kind": band.kind,
                        "monthly_amount": band.monthly_amount,
                        "receiving": bool(set(m.benefits) & {band.kind, *band.benefit_names}),
                    }
                )
    subsidy = _scheme("service_subsidy", code)
    district = sess.get(District, code) if code else None
    names = {d.code: d.name for d in sess.scalars(select(District))}
    return jsonify(
        district={"code": district.code, "name": district.name} if district else None,
        allowances=[allowance_json(a, names) for a in rows],
        service_subsidy=scheme_json(subsidy) if subsidy else None,
        household=household,
    )


@bp.get("/schemes/<key>")
@contract.operation(
    "A scheme as it applies in a district: ltc (长护险 levels and what each gives), home_retrofit (适老化改造 items and "
    "subsidy rules; your_subsidy for a bound resident), service_subsidy",
    path={"key": "ltc, home_retrofit or service_subsidy"},
    query=schemas.DistrictQuery,
    responses={200: ("the scheme", schemas.Scheme)},
    errors={404: "not_found or district_not_found"},
)
def get_scheme(key: str):
    """A scheme (ltc, home_retrofit, service_subsidy) as it applies in a district; with a bound openid, the
    适老化改造 subsidy rule the household meets."""
    code, resident = _district_and_resident()
    scheme = _scheme(key, code)
    if scheme is None:
        raise ApiError(404, "not_found", "没有这项政策的资料。")
    out = scheme_json(scheme)
    if resident and key == "home_retrofit":
        out["your_subsidy"] = applications.retrofit_subsidy(session(), resident)
    return jsonify(out)


def _render(sess, reference: str) -> dict:
    return applications.as_json(
        sess, sess.scalar(select(EldercareApplication).where(EldercareApplication.reference == reference))
    )


IDEMPOTENCY = idempotency.Policy(
    scope="eldercare",
    max_length=100,
    replay_status=200,
    render=_render,
    missing=ApiError(400, "idempotency_key_required", "请求缺少 Idempotency-Key。"),
    conflict=ApiError(409, "idempotency_key_reused", "这个请求编号已经用在另一份申请上了。"),
)


@bp.post("/applications")
@contract.operation(
    "Apply for a 长护险 assessment or a 适老化改造 for the bound resident's household elder (60+). Idempotent: the same "
    "Idempotency-Key and body return the same application.",
    headers=[
        contract.idempotency_key(
            100,
            True,
            "the same key and body return the same application (200, header "
            "`Idempotent-Replayed: true`); another body is refused (409)",
        )
    ],
    body=schemas.ApplicationRequest,
    responses={
        201: ("made", schemas.EldercareApplication),
        200: ("already made with this key", schemas.EldercareApplication),
    },
    errors={
        400: "idempotency_key_required or bad_kind",
        403: "not_bound",
        409: "already_applied (with reference) or idempotency_key_reused",
        422: "no_elder",
    },
)
def apply():
    """Apply for a 长护险 assessment or a 适老化改造. ``Idempotency-Key`` is required: the same key and body return
    the same application (200) instead of making another (201)."""
    key = idempotency.request_key(IDEMPOTENCY)
    body = request.get_json(silent=True) or {}
    kind, openid = body.get("kind"), str(body.get("openid", ""))
    if kind not in APPLICATION_KINDS:
        raise ApiError(400, "bad_kind", f"kind 只能是：{'、'.join(APPLICATION_KINDS)}")

    def work(sess) -> idempotency.Answer:
        app = applications.create(sess, kind, openid, key, datetime.now())
        return idempotency.Answer(applications.as_json(sess, app), 201, app.reference)

    return idempotency.run(IDEMPOTENCY, work)


@bp.get("/applications")
@contract.operation(
    "A resident's applications, newest first",
    query=schemas.ApplicationsQuery,
    responses={200: ("applications", schemas.EldercareApplicationList)},
    errors={400: "bad_request"},
)
def list_applications():
    openid = request.args.get("openid", "")
    if not openid:
        raise ApiError(400, "bad_request", "需要 openid。")
    query = (
        select(EldercareApplication)
        .where(EldercareApplication.openid == openid)
        .order_by(EldercareApplication.created_at.desc())
    )
    if kind := request.args.get("kind"):
        query = query.where(EldercareApplication.kind == kind)
    sess = session()
    return jsonify(applications=[applications.as_json(sess, a) for a in sess.scalars(query)])


@bp.get("/applications/<reference>")
@contract.operation(
    "One application with its progress",
    path=REFERENCE,
    responses={200: ("the application", schemas.EldercareApplication)},
    errors={404: "not_found"},
)
def get_application(reference: str):
    sess = session()
    app = sess.scalar(select(EldercareApplication).where(EldercareApplication.reference == reference))
    if app is None:
        raise ApiError(404, "not_found", "没有找到这个申请编号。")
    return jsonify(applications.as_json(sess, app))


@bp.post("/applications/<reference>/status")
@contract.operation(
    "Staff or the assessment agency move an application on (assessed needs level 0-6)",
    path=REFERENCE,
    body=schemas.EldercareStatusChange,
    responses={200: ("the application", schemas.EldercareApplication)},
    errors={400: "bad_status or bad_level", 404: "not_found", 409: "finished"},
)
def set_status(reference: str):
    """The bureau's staff (or the assessment agency) move an application on: {status, note?, level?}."""
    sess = session()
    app = sess.scalar(select(EldercareApplication).where(EldercareApplication.reference == reference))
    if app is None:
        raise ApiError(404, "not_found", "没有找到这个申请编号。")
    body = request.get_json(silent=True) or {}
    applications.advance(
        sess, app, str(body.get("status", "")), str(body.get("note", "")), body.get("level"), datetime.now()
    )
    sess.commit()
    return jsonify(applications.as_json(sess, app))
