"""Cemetery visit booking API (祭扫预约): cemeteries, a season's days, bookings and the waiting list (idempotent
writes); for staff, the season's plan (each day's announced opening, each slot's capacity) and the attendants'
check-in codes; the gate-check page an attendant opens from a booking's link, where a code marks it used.

HTTP only: requests become plain values for :mod:`backoffice.cemetery.booking`, :mod:`~backoffice.cemetery.plan`
and :mod:`~backoffice.cemetery.gate`, whose :class:`~backoffice.errors.ApiError` the app's error handler renders;
writes go through :mod:`backoffice.idempotency`.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, current_app, jsonify, render_template, request
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice import booking_common, contract, idempotency, params
from backoffice.cemetery import booking, gate, plan, schemas
from backoffice.cemetery.models import Cemetery, CemeteryBooking, CemeteryWaiting
from backoffice.errors import ApiError
from backoffice.marriage.calendar import chinese_date
from backoffice.params import iso_date, required_text
from common.db import session

bp = Blueprint("cemetery", __name__, template_folder="templates")
GATE_PREFIX = "/cemetery/gate/"  # public: an attendant's phone opens it (backoffice/auth.py)
NUMBER = {"number": "booking number, e.g. JS27040500042"}
WAITING_NUMBER = {"number": "waiting-list number, e.g. HB27040500007"}
IDEMPOTENCY_KEY = contract.idempotency_key(
    128,
    False,
    "Makes the write safe to retry: the same key with the same body returns the stored answer (header "
    "`Idempotent-Replayed: true`); the same key with another body is refused (422 `idempotency_key_reused`).",
)
IDEMPOTENCY = booking_common.idempotency_policy("cemetery")
BOOKING_REFUSALS = (
    "refused by a booking rule: invalid_request, invalid_openid, invalid_date, date_past, no_booking_needed "
    "(not a 清明/冬至 booking day), not_open_yet (booking opens at the announced time), invalid_gate, invalid_slot, "
    "too_many_companions, idempotency_key_reused"
)


def _tokens() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="cemetery-gate")


def gate_url(number: str) -> str:
    return request.url_root.rstrip("/") + GATE_PREFIX + str(_tokens().dumps(number))


def cemetery_json(c: Cemetery) -> dict:
    return {
        "code": c.code,
        "name": c.name,
        "kind": c.kind,
        "district_code": c.district_code,
        "address": c.address,
        "phone": c.phone,
        "hours": c.hours,
        "aliases": c.aliases,
        "companions_max": c.companions_max,
        "gates": [{"code": g.code, "name": g.name} for g in c.gates],
    }


def _place(c: Cemetery) -> dict:
    return {"code": c.code, "name": c.name, "address": c.address, "phone": c.phone}


def booking_json(b: CemeteryBooking) -> dict:
    return {
        "number": b.number,
        "status": b.status,
        "cemetery": _place(b.cemetery),
        "gate": {"code": b.gate.code, "name": b.gate.name},
        "date": b.day.isoformat(),
        "date_label": chinese_date(b.day),
        "start": b.start,
        "end": b.end,
        "companions": b.companions,
        "people": b.people,
        "from_waitlist": b.from_waitlist,
        "gate_url": gate_url(b.number or ""),
        "used_at": b.used_at.isoformat(timespec="minutes") if b.used_at else None,
        "used_label": booking.used_label(b),
    }


def waiting_json(sess: Session, w: CemeteryWaiting) -> dict:
    return {
        "number": w.number,
        "status": w.status,
        "cemetery": _place(w.cemetery),
        "date": w.day.isoformat(),
        "date_label": chinese_date(w.day),
        "companions": w.companions,
        "people": 1 + w.companions,
        "position": booking.position(sess, w),
        "booking_number": w.booking_number,
    }


def _companions(body: dict) -> int:
    return params.whole_number(body.get("companions", 0), "companions", what="人数")


def _visit(body: dict, cemetery_code: str) -> booking.Visit:
    return booking.Visit(
        cemetery_code,
        iso_date(body.get("date")),
        required_text(body, "gate_code"),
        required_text(body, "start"),
        _companions(body),
    )


def _booked(status: int, work: Callable[[Session], CemeteryBooking]):
    """One write of a booking, run once per ``Idempotency-Key`` (optional here), answered with the booking."""
    return booking_common.write(IDEMPOTENCY, status, work, lambda _sess, made: booking_json(made))


def _waiting(status: int, work: Callable[[Session], CemeteryWaiting]):
    """One write of a waiting-list place, run once per ``Idempotency-Key``, answered with the place."""
    return booking_common.write(IDEMPOTENCY, status, work, waiting_json)


@bp.get("/cemeteries")
@contract.operation("Cemeteries and columbaria with their gates", responses={200: ("cemeteries", schemas.CemeteryList)})
def list_cemeteries():
    found = session().scalars(select(Cemetery).order_by(Cemetery.code))
    return jsonify(cemeteries=[cemetery_json(c) for c in found])


@bp.get("/cemeteries/<code>/availability")
@contract.operation(
    "The booking days of the season under way (or the next: 清明, 冬至) with each gate's slots and places left, "
    "when each day's booking opens, and its waiting list",
    query=schemas.CemeteryAvailabilityQuery,
    responses={200: ("the cemetery and its days", schemas.CemeteryAvailability)},
    errors={
        400: "`days` not a whole number (`bad_request`)",
        404: "`cemetery_not_found`",
        422: "bad `from` (`invalid_date`)",
    },
)
def availability(code: str):
    sess = session()
    cemetery = booking.get_cemetery(sess, code)
    first = iso_date(request.args["from"], "from") if request.args.get("from") else None
    count = params.query_number("days", 0) or None
    return jsonify(cemetery=cemetery_json(cemetery), **booking.availability(sess, cemetery, first, count))


@bp.post("/cemetery/bookings")
@contract.operation(
    "Book a visit for the verified resident and companions (places are taken atomically: never more visitors "
    "than a slot's capacity; one live booking per person and day)",
    headers=[IDEMPOTENCY_KEY],
    body=schemas.CemeteryBookingRequest,
    responses={201: ("booked (or, replayed, the booking made the first time)", schemas.CemeteryBooking)},
    errors={
        400: "not JSON, or companions not a whole number (`bad_request`)",
        403: "`not_bound`: the openid has no real-name binding",
        404: "`cemetery_not_found`",
        409: "`slot_full` (not enough places left in the slot) or `already_booked` (the resident holds a booking "
        "that day)",
        422: BOOKING_REFUSALS,
    },
)
def create_booking():
    body = params.json_body()
    openid = params.booker_openid(body.get("openid"))
    visit = _visit(body, required_text(body, "cemetery_code"))
    return _booked(201, lambda sess: booking.create(sess, openid, visit))


@bp.get("/cemetery/bookings")
@contract.operation(
    "The verified resident's own live bookings and waiting-list places, from today on, and the bookings checked in "
    "at the gate today",
    query=schemas.CemeteryOpenidQuery,
    responses={200: ("bookings and waiting-list places", schemas.CemeteryBookings)},
    errors={403: "`not_bound`", 422: "`invalid_openid`"},
)
def my_bookings():
    sess = session()
    found = booking.bookings_of(sess, params.booker_openid(request.args.get("openid")))
    return jsonify(
        bookings=[booking_json(b) for b in found.live],
        waiting=[waiting_json(sess, w) for w in found.waiting],
        checked_in=[booking_json(b) for b in found.checked_in],
    )


@bp.get("/cemetery/bookings/<number>")
@contract.operation(
    "One of the resident's own bookings (anyone else's answers 404)",
    path=NUMBER,
    query=schemas.CemeteryOpenidQuery,
    responses={200: ("the booking", schemas.CemeteryBooking)},
    errors={403: "`not_bound`", 404: "`booking_not_found`", 422: "`invalid_openid`"},
)
def get_booking(number: str):
    return jsonify(
        booking_json(booking.own_booking(session(), params.booker_openid(request.args.get("openid")), number))
    )


@bp.post("/cemetery/bookings/<number>/cancel")
@contract.operation(
    "Cancel one's own booking; the freed places go to the day's waiting list in order (cancelling twice is once)",
    path=NUMBER,
    headers=[IDEMPOTENCY_KEY],
    body=schemas.CemeteryOpenid,
    responses={200: ("the cancelled booking", schemas.CemeteryBooking)},
    errors={
        400: "not JSON (`bad_request`)",
        403: "`not_bound`",
        404: "`booking_not_found`",
        422: "`invalid_openid`, `booking_past`, `booking_used` (checked in at the gate), `idempotency_key_reused`",
    },
)
def cancel_booking(number: str):
    openid = params.booker_openid(params.json_body().get("openid"))
    return _booked(200, lambda sess: booking.cancel(sess, openid, number, gate_url))


@bp.post("/cemetery/bookings/<number>/reschedule")
@contract.operation(
    "Move one's own booking to another day, gate or slot of the same cemetery (the new places are taken before "
    "the old ones are freed; the freed ones go to the old day's waiting list)",
    path=NUMBER,
    headers=[IDEMPOTENCY_KEY],
    body=schemas.CemeteryMove,
    responses={200: ("the moved booking", schemas.CemeteryBooking)},
    errors={
        400: "not JSON (`bad_request`)",
        403: "`not_bound`",
        404: "`booking_not_found`",
        409: "`slot_full` or `already_booked`",
        422: "`booking_not_active`, `booking_used` (checked in at the gate), " + BOOKING_REFUSALS,
    },
)
def reschedule_booking(number: str):
    body = params.json_body()
    openid = params.booker_openid(body.get("openid"))
    visit = booking.Visit(
        "", iso_date(body.get("date")), required_text(body, "gate_code"), required_text(body, "start"), 0
    )
    return _booked(200, lambda sess: booking.reschedule(sess, openid, number, visit, gate_url))


@bp.post("/cemetery/waitlist")
@contract.operation(
    "Join a day's waiting list when no slot has places left for the party; cancelled places are given in the order "
    "the list was joined",
    headers=[IDEMPOTENCY_KEY],
    body=schemas.CemeteryWaitingRequest,
    responses={201: ("the waiting-list place", schemas.CemeteryWaiting)},
    errors={
        400: "not JSON, or companions not a whole number (`bad_request`)",
        403: "`not_bound`",
        404: "`cemetery_not_found`",
        409: "`places_free` (book instead), `already_waiting`, `already_booked` (holds a booking that day)",
        422: BOOKING_REFUSALS,
    },
)
def join_waitlist():
    body = params.json_body()
    openid = params.booker_openid(body.get("openid"))
    code, day, companions = required_text(body, "cemetery_code"), iso_date(body.get("date")), _companions(body)
    return _waiting(201, lambda sess: booking.join_waitlist(sess, openid, code, day, companions))


@bp.post("/cemetery/waitlist/<number>/cancel")
@contract.operation(
    "Leave the waiting list (leaving twice is once)",
    path=WAITING_NUMBER,
    headers=[IDEMPOTENCY_KEY],
    body=schemas.CemeteryOpenid,
    responses={200: ("the waiting-list place", schemas.CemeteryWaiting)},
    errors={
        400: "not JSON (`bad_request`)",
        403: "`not_bound`",
        404: "`waiting_not_found`",
        422: "`invalid_openid`, `idempotency_key_reused`",
    },
)
def leave_waitlist(number: str):
    openid = params.booker_openid(params.json_body().get("openid"))
    return _waiting(200, lambda sess: booking.leave_waitlist(sess, openid, number))


@bp.put("/cemetery/openings/<day>")
@contract.operation(
    "Staff: announce when booking a day opens (replaces the default rule for that day). A changed time is published "
    "on the change feed (kind `opening_moved`) to each resident already booked that day",
    path={"day": "a booking day, YYYY-MM-DD"},
    headers=[params.EDITOR],
    body=schemas.CemeteryOpening,
    responses={200: ("the day's opening", schemas.CemeteryOpeningAnswer)},
    errors={
        400: "not JSON (`bad_request`)",
        422: "`invalid_date`, `invalid_opens_at`, `no_booking_needed`",
    },
)
def set_opening(day: str):
    body = params.json_body()
    sess = session()
    with idempotency.writing(sess):
        answer = plan.set_opening(sess, iso_date(day), body.get("opens_at"), params.editor(), gate_url)
    return jsonify(answer)


@bp.get("/cemeteries/<code>/plan")
@contract.operation(
    "Staff: every day of the season under way (or the next), with its booking opening (announced or by the default "
    "rule) and each gate's slots: capacity, visitors booked, who set the capacity",
    path={"code": "cemetery code"},
    query=schemas.CemeteryPlanQuery,
    responses={200: ("the season's plan", schemas.CemeteryPlan)},
    errors={404: "`cemetery_not_found`", 422: "bad `from` (`invalid_date`)"},
)
def season_plan(code: str):
    sess = session()
    cemetery = booking.get_cemetery(sess, code)
    first = iso_date(request.args["from"], "from") if request.args.get("from") else None
    return jsonify(cemetery=cemetery_json(cemetery), **plan.season_plan(sess, cemetery, first))


@bp.put("/cemetery/gates/<gate_code>/capacity")
@contract.operation(
    "Staff: set how many visitors one gate's slot takes on the given booking days (one day, or every day of the "
    "season); never below the visitors already booked. New places go to the day's waiting list at once",
    path={"gate_code": "gate code, e.g. CEM-PT-01-M"},
    headers=[params.EDITOR],
    body=schemas.CemeteryCapacityChange,
    responses={200: ("the slot on each day", schemas.CemeteryCapacityAnswer)},
    errors={
        400: "not JSON, or capacity not a whole number (`bad_request`)",
        404: "`gate_not_found`",
        422: "`below_booked` (the message names the day and how many are booked), `invalid_capacity`, "
        "`invalid_slot`, `invalid_date`, `date_past`, `no_booking_needed`, `invalid_request`",
    },
)
def set_capacity(gate_code: str):
    body = params.json_body()
    capacity = params.whole_number(body.get("capacity"), "capacity", what="人数")
    start = required_text(body, "start")
    raw = body.get("dates")
    if not isinstance(raw, list):
        raise ApiError(422, "invalid_request", "dates 应该是日期的列表")
    days = sorted({iso_date(d, "dates") for d in raw})
    sess = session()
    with idempotency.writing(sess):
        changed = plan.set_capacity(sess, gate_code, start, capacity, days, params.editor(), gate_url)
    return jsonify(gate_code=gate_code, slots=changed)


@bp.get("/cemeteries/<code>/attendants")
@contract.operation(
    "Staff: the gate attendants' check-in codes of a cemetery that still work (the codes themselves are never shown "
    "again)",
    path={"code": "cemetery code"},
    responses={200: ("the attendants", schemas.CemeteryAttendants)},
    errors={404: "`cemetery_not_found`"},
)
def list_attendants(code: str):
    sess = session()
    booking.get_cemetery(sess, code)
    return jsonify(attendants=[gate.attendant_json(a) for a in gate.attendants(sess, code)])


@bp.post("/cemeteries/<code>/attendants")
@contract.operation(
    "Staff: issue a gate attendant a check-in code for this cemetery, valid until a day: the answer carries the code, "
    "once (only a keyed digest of it is kept)",
    path={"code": "cemetery code"},
    headers=[params.EDITOR],
    body=schemas.CemeteryAttendantRequest,
    responses={201: ("issued, with the code", schemas.CemeteryAttendantIssued)},
    errors={
        400: "not JSON (`bad_request`)",
        404: "`cemetery_not_found`",
        422: "`invalid_name`, `invalid_date`",
    },
)
def issue_attendant(code: str):
    body = params.json_body()
    name = str(body.get("name") or "")
    valid_until = iso_date(body.get("valid_until"), "valid_until")
    sess = session()
    with idempotency.writing(sess):
        booking.get_cemetery(sess, code)
        attendant, secret_code = gate.issue(
            sess, code, name, valid_until, params.editor(), current_app.config["SECRET_KEY"]
        )
        answer = {**gate.attendant_json(attendant), "code": secret_code}
    return jsonify(answer), 201


@bp.post("/cemetery/attendants/<int:attendant_id>/revoke")
@contract.operation(
    "Staff: a check-in code stops working at once (revoking twice is once)",
    path={"attendant_id": "the attendant's id"},
    headers=[params.EDITOR],
    responses={200: ("revoked", schemas.CemeteryAttendant)},
    errors={404: "`attendant_not_found`"},
)
def revoke_attendant(attendant_id: int):
    sess = session()
    with idempotency.writing(sess):
        answer = gate.attendant_json(gate.revoke(sess, attendant_id))
    return jsonify(answer)


def _number_of(token: str) -> str | None:
    try:
        return str(_tokens().loads(token))
    except BadSignature:
        return None


@bp.get(GATE_PREFIX + "<token>")
@contract.operation(
    "The gate-check page (HTML) an attendant opens from a booking's link: the booking's state today (also whether "
    "and when it was checked in), the cemetery, gate, time and number of people, and the resident's masked name "
    "only; for a booking valid today, the 核验入园 form. The link is signed; a forged one shows that it is not valid",
    path={"token": "the signed booking number"},
    responses={200: ("the page", None), 404: ("not a valid link, or no such booking (a page)", None)},
    public=True,
)
def gate_check(token: str):
    number = _number_of(token)
    try:
        state = gate.state(session(), number) if number else None
    except ApiError:
        state = None
    if state is None:
        return render_template("cemetery/gate.html", state=None), 404
    return render_template("cemetery/gate.html", state=state)


@bp.post(GATE_PREFIX + "<token>")
@contract.operation(
    "核验入园 (an HTML form, field `code`: a gate attendant's check-in code of the booking's cemetery): marks a booking "
    "valid today as used and answers the page with the outcome. Every try is recorded; after 5 wrong codes on one "
    "booking within 15 minutes its page takes no code for a while",
    path={"token": "the signed booking number"},
    responses={
        200: ("checked in: the page says how many may enter", None),
        403: ("wrong code (a page)", None),
        404: ("not a valid link, or no such booking (a page)", None),
        409: ("already checked in: the page says when (a page)", None),
        422: ("not valid today: cancelled, another day (a page)", None),
        429: ("too many wrong codes on this booking (a page)", None),
    },
    public=True,
)
def gate_check_in(token: str):
    number = _number_of(token)
    if number is None:
        return render_template("cemetery/gate.html", state=None), 404
    sess = session()
    try:
        with idempotency.writing(sess):
            check = gate.check_in(
                sess, number, request.form.get("code", ""), request.remote_addr or "", current_app.config["SECRET_KEY"]
            )
    except ApiError:
        return render_template("cemetery/gate.html", state=None), 404
    return render_template("cemetery/gate.html", state=check.state, check=check), check.status
