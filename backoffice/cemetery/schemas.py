"""The cemetery visit booking API's bodies, for the OpenAPI document (backoffice/contract.py)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from backoffice.contract import Request


class CemeteryGate(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)


class Cemetery(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)
    kind = fields.String(metadata={"description": "公墓, 骨灰堂 or 陵园"})
    district_code = fields.String(required=True)
    address = fields.String(required=True)
    phone = fields.String(required=True)
    hours = fields.String(required=True)
    aliases = fields.List(fields.String())
    companions_max = fields.Integer(metadata={"description": "people who may come with the booking resident"})
    gates = fields.List(fields.Nested(CemeteryGate))


class CemeteryList(Schema):
    cemeteries = fields.List(fields.Nested(Cemetery))


class CemeterySlot(Schema):
    gate_code = fields.String()
    gate_name = fields.String()
    start = fields.String()
    end = fields.String()
    capacity = fields.Integer(metadata={"description": "visitors (the booking resident and each companion)"})
    free = fields.Integer()


class CemeteryDay(Schema):
    date = fields.Date()
    label = fields.String(metadata={"description": "the day in Chinese, e.g. 4月5日（周一）"})
    festival = fields.Boolean(metadata={"description": "the day of the solar term itself (清明, 冬至)"})
    open = fields.Boolean(metadata={"description": "can be booked now"})
    reason = fields.String(metadata={"description": "why not (not open yet, past); empty when open"})
    opens_at = fields.String(metadata={"description": "when booking the day opens (Shanghai time)"})
    opens_label = fields.String()
    free = fields.Integer(metadata={"description": "places left over every gate and slot"})
    waiting = fields.Integer(metadata={"description": "people's entries on the day's waiting list"})
    slots = fields.List(fields.Nested(CemeterySlot))


class CemeterySeason(Schema):
    name = fields.String(metadata={"description": "清明 or 冬至"})
    date = fields.Date(metadata={"description": "the solar term's day"})
    first = fields.Date()
    last = fields.Date()


class CemeteryAvailability(Schema):
    cemetery = fields.Nested(Cemetery)
    season = fields.Nested(CemeterySeason)
    companions_max = fields.Integer()
    days = fields.List(fields.Nested(CemeteryDay))


class CemeteryAvailabilityQuery(Request):
    from_ = fields.Date(
        data_key="from", metadata={"description": "the first day of the season to show (default: today)"}
    )
    days = fields.Integer(
        validate=validate.Range(min=0),
        metadata={"description": "how many days to show (default: the rest of the season)"},
    )


class CemeteryPlace(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)
    address = fields.String()
    phone = fields.String()


class CemeteryBooking(Schema):
    number = fields.String(metadata={"description": "e.g. JS27040500042, shown at the gate"})
    status = fields.String(
        validate=validate.OneOf(("booked", "cancelled", "used")),
        metadata={"description": "used: checked in at the gate"},
    )
    cemetery = fields.Nested(CemeteryPlace)
    gate = fields.Nested(CemeteryGate)
    date = fields.Date()
    date_label = fields.String()
    start = fields.String()
    end = fields.String()
    companions = fields.Integer()
    people = fields.Integer()
    from_waitlist = fields.Boolean(metadata={"description": "made from the waiting list when a place was freed"})
    gate_url = fields.String(metadata={"description": "the gate-check page for this booking (a signed link)"})
    used_at = fields.DateTime(
        allow_none=True, metadata={"description": "when it was checked in at the gate (Shanghai time); null until then"}
    )
    used_label = fields.String(
        metadata={"description": "the same for residents, e.g. 12月21日（周一）09:12; empty until then"}
    )


class CemeteryWaiting(Schema):
    number = fields.String(metadata={"description": "e.g. HB27040500007"})
    status = fields.String(validate=validate.OneOf(("waiting", "booked", "cancelled")))
    cemetery = fields.Nested(CemeteryPlace)
    date = fields.Date()
    date_label = fields.String()
    companions = fields.Integer()
    people = fields.Integer()
    position = fields.Integer(metadata={"description": "place in the day's queue (1 = next); 0 once not waiting"})
    booking_number = fields.String(metadata={"description": "the booking it became, once a place was freed"})


class CemeteryBookings(Schema):
    bookings = fields.List(fields.Nested(CemeteryBooking), metadata={"description": "live: not yet checked in"})
    waiting = fields.List(fields.Nested(CemeteryWaiting))
    checked_in = fields.List(
        fields.Nested(CemeteryBooking),
        metadata={"description": "checked in at the gate on their day, listed for the rest of that day"},
    )


class CemeteryBookingRequest(Request):
    openid = fields.String(required=True, metadata={"description": "must have a real-name binding (verified sign-in)"})
    cemetery_code = fields.String(required=True)
    date = fields.Date(required=True)
    gate_code = fields.String(required=True)
    start = fields.String(required=True, metadata={"example": "09:00"})
    companions = fields.Integer(load_default=0, metadata={"description": "0 to the cemetery's companions_max"})


class CemeteryWaitingRequest(Request):
    openid = fields.String(required=True)
    cemetery_code = fields.String(required=True)
    date = fields.Date(required=True)
    companions = fields.Integer(load_default=0)


class CemeteryMove(Request):
    openid = fields.String(required=True)
    date = fields.Date(required=True)
    gate_code = fields.String(required=True)
    start = fields.String(required=True)


class CemeteryOpenid(Request):
    openid = fields.String(required=True)


class CemeteryOpenidQuery(Request):
    openid = fields.String(required=True)


class CemeteryOpening(Request):
    opens_at = fields.String(required=True, metadata={"example": "2027-03-29T10:00", "description": "Shanghai time"})


class CemeteryOpeningAnswer(Schema):
    date = fields.Date()
    opens_at = fields.String()


class CemeteryPlanQuery(Request):
    from_ = fields.Date(
        data_key="from", metadata={"description": "a day in (or before) the season to show (default: today)"}
    )


class CemeteryPlanSlot(Schema):
    gate_code = fields.String()
    gate_name = fields.String()
    start = fields.String()
    end = fields.String()
    capacity = fields.Integer(metadata={"description": "visitors the slot takes that day"})
    booked = fields.Integer(metadata={"description": "visitors booked"})
    capacity_by = fields.String(metadata={"description": "the member of staff who set it; empty: the timetable's"})


class CemeteryPlanDay(Schema):
    date = fields.Date()
    label = fields.String()
    festival = fields.Boolean()
    past = fields.Boolean()
    opens_at = fields.String(metadata={"description": "when booking the day opens (Shanghai time)"})
    opens_label = fields.String()
    announced_by = fields.String(metadata={"description": "who announced the opening; empty: the default rule"})
    waiting = fields.Integer(metadata={"description": "entries on the day's waiting list"})
    slots = fields.List(fields.Nested(CemeteryPlanSlot))


class CemeteryPlan(Schema):
    cemetery = fields.Nested(Cemetery)
    season = fields.Nested(CemeterySeason)
    days = fields.List(fields.Nested(CemeteryPlanDay))


class CemeteryCapacityChange(Request):
    start = fields.String(required=True, metadata={"example": "09:00", "description": "the slot's start"})
    capacity = fields.Integer(required=True, validate=validate.Range(min=0), metadata={"description": "visitors"})
    dates = fields.List(
        fields.Date(), required=True, metadata={"description": "the booking days to change (one, or the season's)"}
    )


class CemeteryCapacitySlot(Schema):
    date = fields.Date()
    label = fields.String()
    start = fields.String()
    capacity = fields.Integer()
    booked = fields.Integer()


class CemeteryCapacityAnswer(Schema):
    gate_code = fields.String()
    slots = fields.List(fields.Nested(CemeteryCapacitySlot))


class CemeteryAttendant(Schema):
    id = fields.Integer()
    cemetery_code = fields.String()
    name = fields.String(
        metadata={"description": "the attendant's name or staff number, shown on a checked-in booking"}
    )
    valid_until = fields.Date()
    revoked = fields.Boolean()
    issued_by = fields.String()


class CemeteryAttendantIssued(CemeteryAttendant):
    code = fields.String(metadata={"description": "eight digits, shown this once"})


class CemeteryAttendants(Schema):
    attendants = fields.List(fields.Nested(CemeteryAttendant))


class CemeteryAttendantRequest(Request):
    name = fields.String(required=True, validate=validate.Length(min=1, max=20))
    valid_until = fields.Date(required=True, metadata={"description": "the last day the code works"})
