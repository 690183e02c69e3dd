"""The marriage API's bodies, for the OpenAPI document (backoffice/contract.py)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from backoffice.contract import Location, Request
from backoffice.marriage.models import DIVORCE_STAGES, SERVICES

DATE = {"format": "date"}


class Office(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)
    district_code = fields.String(required=True)
    address = fields.String(required=True)
    location = fields.Nested(Location)
    phone = fields.String(required=True)
    hours = fields.String(required=True)
    services = fields.List(fields.String(validate=validate.OneOf(SERVICES)), required=True)


class OfficeList(Schema):
    offices = fields.List(fields.Nested(Office))


class OfficeQuery(Request):
    district = fields.String(metadata={"description": "district code, e.g. 310107"})
    service = fields.String(
        validate=validate.OneOf(SERVICES), metadata={"description": "only offices offering this service"}
    )


class Slot(Schema):
    start = fields.String()
    end = fields.String()
    capacity = fields.Integer()
    free = fields.Integer()


class MarriageDay(Schema):
    date = fields.Date()
    label = fields.String(metadata={"description": "the day in Chinese, e.g. 12月9日（周二）"})
    open = fields.Boolean()
    reason = fields.String(
        metadata={
            "description": "why the day cannot be booked (holiday, weekend, closure, outside the "
            "booking window); empty when open"
        }
    )
    peak = fields.String(
        metadata={
            "description": "the peak day's name (5·20, 七夕, 12·12 …) when it is one: every slot has "
            "the office's extra peak places"
        }
    )
    notice = fields.String(
        metadata={
            "description": "on an open day of a year whose holiday arrangement is not published yet: tells the "
            "resident the day is provisional (to be said when the day is offered or chosen); empty otherwise"
        }
    )
    slots = fields.List(fields.Nested(Slot))


class Availability(Schema):
    office = fields.Nested(Office)
    days = fields.List(fields.Nested(MarriageDay))


class AvailabilityQuery(Request):
    from_ = fields.Date(data_key="from", metadata={"description": "first day (default: the first bookable day)"})
    days = fields.Integer(validate=validate.Range(min=1, max=62), load_default=14)
    until = fields.Date(
        metadata={
            "description": "last bookable day to show instead of the booking horizon (a divorce "
            "certificate's window ends on day 60)"
        }
    )


class Materials(Schema):
    materials = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))


class MarriageParty(Schema):
    name = fields.String(required=True)
    id_number = fields.String(
        required=True, metadata={"description": "18 characters, checksum-validated; masked in answers"}
    )


class MarriageBooking(Request):
    openid = fields.String(
        required=True,
        metadata={
            "description": "the booking resident's openid: it must have a real-name binding (a verified sign-in) to a "
            "resident who is one of the parties"
        },
    )
    office_code = fields.String(required=True)
    service = fields.String(required=True, validate=validate.OneOf(SERVICES))
    stage = fields.String(
        validate=validate.OneOf((*DIVORCE_STAGES, "")),
        metadata={
            "description": "divorce only: 申请 (hand in the application) or 领证 (collect the certificate on day 31-60 after "
            "the application)"
        },
    )
    date = fields.Date(required=True)
    start = fields.String(
        required=True, metadata={"example": "09:00", "description": "start of one of the office's time slots"}
    )
    parties = fields.List(
        fields.Nested(MarriageParty),
        required=True,
        validate=validate.Length(min=1, max=2),
        metadata={
            "description": "both parties (结婚, 离婚); one or both (补领). 结婚: men at least 22, women at least 20 on the day "
            "(gender from the ID's 17th digit)"
        },
    )
    phone = fields.String(required=True, validate=validate.Regexp(r"^1[3-9]\d{9}$"))


class CertificateWindow(Schema):
    first_date = fields.Date()
    last_date = fields.Date()
    first_label = fields.String()
    last_label = fields.String()


class AppointmentOffice(Schema):
    code = fields.String()
    name = fields.String()
    address = fields.String()
    phone = fields.String()


class MarriageAppointment(Schema):
    number = fields.String()
    status = fields.String(validate=validate.OneOf(("booked", "cancelled", "no_show")))
    flag = fields.String(
        metadata={"description": "for staff: why the appointment needs them (its day became a holiday); empty if not"}
    )
    service = fields.String()
    stage = fields.String()
    office = fields.Nested(AppointmentOffice)
    date = fields.Date()
    date_label = fields.String(metadata={"description": "the day in Chinese"})
    start = fields.String()
    end = fields.String()
    parties = fields.List(fields.Nested(MarriageParty))
    phone = fields.String(metadata={"description": "masked"})
    application_date = fields.Date(
        allow_none=True, metadata={"description": "divorce certificate appointments: the application they follow"}
    )
    certificate_window = fields.Nested(
        CertificateWindow,
        allow_none=True,
        metadata={
            "description": "divorce certificate appointments: the days (31 to 60 after the application) it may be collected"
        },
    )
    materials = fields.List(fields.String(), metadata={"description": "what to bring"})


class AppointmentList(Schema):
    appointments = fields.List(fields.Nested(MarriageAppointment))


class OpenidQuery(Request):
    openid = fields.String(
        required=True, metadata={"description": "the resident's WeChat openid (the conversation's sender id)"}
    )


class AppointmentsQuery(OpenidQuery):
    all = fields.String(validate=validate.OneOf(("true",)), metadata={"description": "include cancelled and past ones"})


class Cancel(Request):
    openid = fields.String(required=True)


class OfficeCancel(Request):
    reason = fields.String(
        required=True, metadata={"description": "told to the resident who booked, e.g. 系统升级停办"}
    )


class Reschedule(Request):
    openid = fields.String(required=True)
    date = fields.Date(required=True)
    start = fields.String(required=True)


class Couple(Request):
    openid = fields.String(
        required=True,
        metadata={"description": "the asking resident's openid: answered only when it is bound to one of the two"},
    )
    parties = fields.List(fields.Nested(MarriageParty), required=True, validate=validate.Length(min=2, max=2))


class DivorceWindow(Schema):
    application_date = fields.Date()
    first_date = fields.Date()
    last_date = fields.Date()
    application_label = fields.String()
    first_label = fields.String()
    last_label = fields.String()


class LegalAgeCheck(Request):
    date = fields.Date(required=True)
    parties = fields.List(fields.Nested(MarriageParty), required=True, validate=validate.Length(min=1, max=2))


class LegalAge(Schema):
    ok = fields.Boolean()


class BookingRules(Schema):
    earliest_days_ahead = fields.Integer(metadata={"description": "1: tomorrow at the earliest"})
    horizon_days = fields.Integer(metadata={"description": "the last bookable day is this many days from today"})
    cutoff = fields.String(
        metadata={"example": "15:00", "description": "booking the earliest day closes at this time the day before"}
    )
    cancel_days_before = fields.Integer(
        metadata={"description": "a resident cancels or moves an appointment at the latest this many days before it"}
    )
    no_show_limit = fields.Integer(metadata={"description": "this many no-shows ..."})
    no_show_period_days = fields.Integer(metadata={"description": "... within this many days ..."})
    no_show_ban_days = fields.Integer(metadata={"description": "... and no online booking for this many days"})


class BookingRulesInput(Request):
    earliest_days_ahead = fields.Integer(required=True, validate=validate.Range(min=1, max=30))
    horizon_days = fields.Integer(required=True, validate=validate.Range(min=1, max=90))
    cutoff = fields.String(required=True, validate=validate.Regexp(r"^([01]\d|2[0-3]):[0-5]\d$"))
    cancel_days_before = fields.Integer(required=True, validate=validate.Range(min=0, max=30))
    no_show_limit = fields.Integer(required=True, validate=validate.Range(min=1, max=10))
    no_show_period_days = fields.Integer(required=True, validate=validate.Range(min=1, max=365))
    no_show_ban_days = fields.Integer(required=True, validate=validate.Range(min=0, max=365))


class HolidayRange(Request):
    name = fields.String(required=True, validate=validate.Length(min=1, max=10), metadata={"example": "春节"})
    first = fields.Date(required=True)
    last = fields.Date(required=True)


class HolidayArrangementInput(Request):
    holidays = fields.List(fields.Nested(HolidayRange), required=True, validate=validate.Length(min=1))
    workdays = fields.List(fields.Date(), metadata={"description": "adjusted working days (调休上班), weekends"})


class HolidayYear(Schema):
    year = fields.Integer()
    source = fields.String(
        validate=validate.OneOf(("entered", "published", "provisional")),
        metadata={
            "description": "entered: by an administrator; published: shipped with chinese-calendar (ranges not "
            "listed); provisional: computed from the statutory holidays"
        },
    )
    holidays = fields.List(fields.Nested(HolidayRange))
    workdays = fields.List(fields.Date())
    entered_by = fields.String()
    entered_at = fields.DateTime(allow_none=True)


class HolidayOverview(Schema):
    years = fields.List(fields.Nested(HolidayYear))
    flagged = fields.List(
        fields.Nested(MarriageAppointment),
        metadata={"description": "upcoming appointments whose day became a holiday, for staff to move or cancel"},
    )
