"""Marriage registration API: offices, availability, appointments (idempotent writes), materials, and for
staff: each office's booking rules, the holiday arrangements, no-shows.

HTTP only: requests become plain values for :mod:`backoffice.marriage.booking`, whose
:class:`~backoffice.errors.ApiError` the app's error handler renders; writes go through
:mod:`backoffice.idempotency`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from flask import Blueprint, jsonify, request
from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice import booking_common, contract, params
from backoffice.errors import ApiError
from backoffice.marriage import booking, calendar, holidays, rules, schemas
from backoffice.marriage.models import MarriageAppointment, Office
from common.db import session

bp = Blueprint("marriage", __name__)


def office_json(o: Office) -> dict:
    return {
        "code": o.code,
        "name": o.name,
        "district_code": o.district_code,
        "address": o.address,
        "location": {"lat": o.lat, "lng": o.lng},
        "phone": o.phone,
        "hours": o.hours,
        "services": o.services,
    }


IDEMPOTENCY_KEY = contract.idempotency_key(
    128,
    False,
    (
        "Makes the write safe to retry: the same key with the same body returns the stored answer "
        "(header `Idempotent-Replayed: true`) and changes nothing; the same key with another body is refused "
        "(422 `idempotency_key_reused`). Refusals (4xx) are not stored."
    ),
)
NUMBER = {"number": "appointment number, e.g. HY26120900042"}


IDEMPOTENCY = booking_common.idempotency_policy("marriage")


def _write(work: Callable[[Session], MarriageAppointment], status: int):
    """One write transaction, run once per ``Idempotency-Key`` (optional here), answered with the appointment."""
    return booking_common.write(IDEMPOTENCY, status, work, lambda _sess, made: booking.appointment_json(made))


@bp.get("/offices")
@contract.operation(
    "Marriage registration offices", query=schemas.OfficeQuery, responses={200: ("offices", schemas.OfficeList)}
)
def list_offices():
    query = select(Office).order_by(Office.code)
    if district := request.args.get("district"):
        query = query.where(Office.district_code == district)
    offices = session().scalars(query)
    if service := request.args.get("service"):
        offices = [o for o in offices if service in o.services]
    return jsonify(offices=[office_json(o) for o in offices])


@bp.get("/offices/<code>/availability")
@contract.operation(
    "Bookable days and free places of one office (holidays and adjusted working days: entered by an administrator, "
    "else chinese-calendar, else computed from the statutory holidays with a `notice` that the day is provisional; "
    "closures, peak days; the office's booking window and cut-off)",
    query=schemas.AvailabilityQuery,
    responses={200: ("the office and its days", schemas.Availability)},
    errors={404: "no such office (`office_not_found`)", 422: "bad `from` or `days` (`invalid_date`, `invalid_days`)"},
)
def office_availability(code: str):
    sess = session()
    office = booking.get_office(sess, code)
    first = (
        params.iso_date(request.args["from"], "from")
        if request.args.get("from")
        else rules.for_office(sess, office.code).window()[0]
    )
    days = request.args.get("days", "14")
    if not days.isdigit():
        raise ApiError(422, "invalid_days", "days 应该是 1 到 62 之间的整数")
    until = params.iso_date(request.args["until"], "until") if request.args.get("until") else None
    return jsonify(office=office_json(office), days=booking.availability(sess, office, first, int(days), until))


@bp.get("/marriage/materials")
@contract.operation(
    "What to bring, by kind of visit (结婚, 离婚申请, 离婚领证, 补领)",
    responses={200: ("materials", schemas.Materials)},
)
def materials():
    return jsonify(materials=calendar.materials())


@bp.post("/marriage/appointments")
@contract.operation(
    "Book an appointment (one place is taken atomically; never more appointments than places)",
    headers=[IDEMPOTENCY_KEY],
    body=schemas.MarriageBooking,
    responses={
        201: (
            "booked (or, with a replayed Idempotency-Key, the appointment booked the first time)",
            schemas.MarriageAppointment,
        )
    },
    errors={
        400: "not JSON (`bad_request`)",
        403: "`not_bound`: the openid has no real-name binding (a verified sign-in), or `identity_mismatch`: the "
        "resident it is bound to is not a party",
        404: "`office_not_found`",
        409: "`slot_full` (no place left) or `already_booked` (a party already holds a live appointment of this kind)",
        422: "refused by a booking rule; `error` is one of invalid_request, invalid_service, invalid_stage, "
        "invalid_date, invalid_phone, invalid_parties, invalid_name, invalid_id_number, same_person, "
        "invalid_openid, office_closed, date_out_of_range, booking_closed (past the office's cut-off the day "
        "before), invalid_slot, service_not_offered, under_age, no_show_ban (the office's no-show rule), "
        "no_divorce_application, cooling_off, application_expired, idempotency_key_reused",
    },
)
def create_appointment():
    body = params.json_body()
    req = booking.parse_request(params.booker_openid(body.get("openid")), body)
    return _write(lambda sess: booking.create(sess, req), 201)


@bp.get("/marriage/appointments")
@contract.operation(
    "The resident's own upcoming appointments: those in which the resident the openid is bound to is a party",
    query=schemas.AppointmentsQuery,
    responses={200: ("appointments", schemas.AppointmentList)},
    errors={403: "`not_bound` (no real-name binding)", 422: "`invalid_openid`"},
)
def list_appointments():
    openid = params.booker_openid(request.args.get("openid"))
    found = booking.appointments_of(session(), openid, include_past=request.args.get("all") == "true")
    return jsonify(appointments=[booking.appointment_json(a) for a in found])


@bp.get("/marriage/appointments/<number>")
@contract.operation(
    "One of the resident's own appointments (anyone else's answers 404)",
    path=NUMBER,
    query=schemas.OpenidQuery,
    responses={200: ("the appointment", schemas.MarriageAppointment)},
    errors={403: "`not_bound` (no real-name binding)", 404: "`appointment_not_found`", 422: "`invalid_openid`"},
)
def get_appointment(number: str):
    return jsonify(
        booking.appointment_json(
            booking.own_appointment(session(), params.booker_openid(request.args.get("openid")), number)
        )
    )


@bp.post("/marriage/appointments/<number>/cancel")
@contract.operation(
    "Cancel one of the resident's own appointments and free its place (cancelling twice is the same as once)",
    path=NUMBER,
    headers=[IDEMPOTENCY_KEY],
    body=schemas.Cancel,
    responses={200: ("cancelled", schemas.MarriageAppointment)},
    errors={
        400: "not JSON (`bad_request`)",
        403: "`not_bound` (no real-name binding)",
        404: "`appointment_not_found`",
        422: "`appointment_past`, `change_too_late` (past the office's cancellation deadline: phone the office), "
        "`invalid_openid`, `idempotency_key_reused`",
    },
)
def cancel_appointment(number: str):
    openid = params.booker_openid(params.json_body().get("openid"))
    return _write(lambda sess: booking.cancel(sess, openid, number), 200)


@bp.post("/marriage/appointments/<number>/office-cancel")
@contract.operation(
    "Staff cancel an appointment for the office (a closure, an emergency): the place is freed and the resident who "
    "booked is told, with the reason, through the change feed (`GET /changes`)",
    path=NUMBER,
    body=schemas.OfficeCancel,
    responses={200: ("cancelled", schemas.MarriageAppointment)},
    errors={
        400: "not JSON (`bad_request`)",
        404: "`appointment_not_found`",
        422: "`reason_required`, `appointment_past`",
    },
)
def office_cancel(number: str):
    reason = str(params.json_body().get("reason", ""))
    return _write(lambda sess: booking.cancel_by_office(sess, number, reason, datetime.now()), 200)


@bp.post("/marriage/appointments/<number>/reschedule")
@contract.operation(
    "Move one of the resident's own appointments to another day/slot (the new place is taken before the old one is "
    "freed; a divorce certificate stays within day 31-60)",
    path=NUMBER,
    headers=[IDEMPOTENCY_KEY],
    body=schemas.Reschedule,
    responses={200: ("moved (or already there)", schemas.MarriageAppointment)},
    errors={
        400: "not JSON (`bad_request`)",
        403: "`not_bound` (no real-name binding)",
        404: "`appointment_not_found`",
        409: "`slot_full`",
        422: "`appointment_not_active`, `change_too_late`, `office_closed`, `date_out_of_range`, `booking_closed`, "
        "`invalid_slot`, `cooling_off`, `under_age`, `invalid_date`, `invalid_openid`, `idempotency_key_reused`",
    },
)
def reschedule_appointment(number: str):
    body = params.json_body()
    openid, day = params.booker_openid(body.get("openid")), params.iso_date(body.get("date"))
    start = str(body.get("start") or "").strip()
    return _write(lambda sess: booking.reschedule(sess, openid, number, day, start), 200)


@bp.post("/marriage/divorce-window")
@contract.operation(
    "When a couple can collect their divorce certificate: day 31 to day 60 after their application. Answered only to "
    "a verified resident (the openid's real-name binding) who is one of the two; anyone else gets exactly the "
    "refusal a couple with no application gets (422 `no_divorce_application`), so it tells no one else whether or "
    "when two people applied (POST: ID numbers stay out of URLs and logs)",
    body=schemas.Couple,
    responses={200: ("the window", schemas.DivorceWindow)},
    errors={
        400: "not JSON (`bad_request`)",
        422: "`no_divorce_application` (also: the asking openid is not verified, or not a party), "
        "`application_expired`, `invalid_id_number`, `invalid_parties`, `invalid_name`, `invalid_openid`",
    },
)
def divorce_window():
    body = params.json_body()
    openid = params.booker_openid(body.get("openid"))
    raw = body.get("parties")
    if not isinstance(raw, list) or len(raw) != 2:
        raise ApiError(422, "invalid_parties", "需要双方的姓名和身份证号")
    parties = tuple(booking.parse_party(p) for p in raw)
    return jsonify(booking.divorce_window(session(), openid, parties))


@bp.post("/marriage/legal-age")
@contract.operation(
    "结婚: are the parties of legal marriage age on the day (men 22, women 20)?",
    body=schemas.LegalAgeCheck,
    responses={200: ("they are", schemas.LegalAge)},
    errors={
        400: "not JSON (`bad_request`)",
        422: "`under_age` (the message says when), `invalid_date`, `invalid_parties`, `invalid_name`, `invalid_id_number`",
    },
)
def legal_age():
    """结婚: are the parties of legal marriage age on ``date``? 200 ``{"ok": true}``, or 422 ``under_age`` with the
    message the bot relays (the conversation checks it as soon as the day and an ID number are known)."""
    body = params.json_body()
    day = params.iso_date(body.get("date"))
    raw = body.get("parties")
    if not isinstance(raw, list) or not 1 <= len(raw) <= 2:
        raise ApiError(422, "invalid_parties", "需要当事人的姓名和身份证号")
    booking.check_legal_age(tuple(booking.parse_party(p) for p in raw), day)
    return jsonify(ok=True)


@bp.post("/marriage/appointments/<number>/no-show")
@contract.operation(
    "Staff record that nobody came to an appointment and nobody cancelled it; it counts towards the office's no-show "
    "rule (recording twice is the same as once)",
    path=NUMBER,
    responses={200: ("recorded", schemas.MarriageAppointment)},
    errors={
        404: "`appointment_not_found`",
        422: "`appointment_cancelled`, `appointment_not_yet` (its day has not come)",
    },
)
def no_show(number: str):
    return _write(lambda sess: booking.record_no_show(sess, number), 200)


@bp.get("/marriage/offices/<code>/booking-rules")
@contract.operation(
    "One office's booking rules (the defaults of backoffice/seed/marriage_calendar.yaml until an administrator sets "
    "its own)",
    path={"code": "office code"},
    responses={200: ("the rules", schemas.BookingRules)},
    errors={404: "`office_not_found`"},
)
def get_booking_rules(code: str):
    sess = session()
    booking.get_office(sess, code)
    return jsonify(rules.for_office(sess, code).json())


@bp.put("/marriage/offices/<code>/booking-rules")
@contract.operation(
    "Set one office's booking rules (window, cut-off, cancellation deadline, no-show rule)",
    path={"code": "office code"},
    headers=[params.EDITOR],
    body=schemas.BookingRulesInput,
    responses={200: ("saved", schemas.BookingRules)},
    errors={
        400: "not JSON (`bad_request`)",
        404: "`office_not_found`",
        422: "`invalid_rules` (the message says which)",
    },
)
def put_booking_rules(code: str):
    sess = session()
    booking.get_office(sess, code)
    saved = rules.save(sess, code, rules.parse(params.json_body()), params.editor())
    sess.commit()
    return jsonify(saved.json())


@bp.get("/marriage/holiday-arrangements")
@contract.operation(
    "The holiday arrangements of this year and the next (and every year entered), each with where it comes from, "
    "and the upcoming appointments flagged for staff because their day became a holiday",
    responses={200: ("the arrangements", schemas.HolidayOverview)},
)
def list_arrangements():
    sess = session()
    this_year = calendar.today().year
    return jsonify(
        years=holidays.overview(sess, [this_year, this_year + 1]),
        flagged=[booking.appointment_json(a) for a in holidays.flagged(sess)],
    )


@bp.put("/marriage/holiday-arrangements/<int:year>")
@contract.operation(
    "Enter (or correct) the State Council's holiday arrangement of a year; upcoming appointments that now fall on a "
    "holiday are flagged for staff (and flags it no longer justifies are cleared)",
    path={"year": "the year, e.g. 2027"},
    headers=[params.EDITOR],
    body=schemas.HolidayArrangementInput,
    responses={200: ("saved, with every appointment now flagged", schemas.HolidayOverview)},
    errors={400: "not JSON (`bad_request`)", 422: "`invalid_arrangement` (the message says what)"},
)
def put_arrangement(year: int):
    sess = session()
    flagged = holidays.save(sess, holidays.parse(year, params.json_body()), params.editor())
    sess.commit()
    return jsonify(years=holidays.overview(sess, [year]), flagged=[booking.appointment_json(a) for a in flagged])
