"""The eldercare API's bodies, for the OpenAPI document (backoffice/contract.py)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from backoffice.contract import Location, Request
from backoffice.eldercare.models import APPLICATION_KINDS, FACILITY_TYPES

OPENID = "a bound WeChat openid"
DISTRICT = "district code or name"


class Beds(Schema):
    level = fields.String()
    total = fields.Integer()
    free = fields.Integer()


class Facility(Schema):
    """An eldercare facility (GCJ-02 location); distance_m only in search results"""

    code = fields.String()
    type = fields.String(validate=validate.OneOf(FACILITY_TYPES))
    name = fields.String()
    district_code = fields.String()
    street_code = fields.String()
    address = fields.String()
    location = fields.Nested(Location)
    phone = fields.String()
    hours = fields.String()
    services = fields.List(fields.String())
    price = fields.String()
    beds = fields.List(fields.Nested(Beds))
    free_beds = fields.Integer()
    distance_m = fields.Integer()


class Origin(Schema):
    kind = fields.String(validate=validate.OneOf(("location", "community", "street", "landmark", "district", "home")))
    name = fields.String()
    lat = fields.Float()
    lng = fields.Float()


class FacilitySearch(Schema):
    origin = fields.Nested(Origin)
    type = fields.String()
    offset = fields.Integer()
    has_more = fields.Boolean()
    next_offset = fields.Integer(allow_none=True)
    facilities = fields.List(fields.Nested(Facility), metadata={"description": "nearest first"})


class FacilityQuery(Request):
    type = fields.String(required=True, validate=validate.OneOf(FACILITY_TYPES))
    lat = fields.Float(metadata={"description": "GCJ-02 latitude (with lng)"})
    lng = fields.Float(metadata={"description": "GCJ-02 longitude"})
    place = fields.String(
        metadata={"description": "a community, street/town, landmark or district name, or a sentence containing one"}
    )
    openid = fields.String(metadata={"description": "a bound WeChat openid: search from the resident's community"})
    limit = fields.Integer(metadata={"description": "page size, 1-10 (default 5)"})
    offset = fields.Integer(metadata={"description": "first result (default 0); use next_offset for the next page"})


class BedUpdate(Request):
    level = fields.String(required=True)
    free = fields.Integer(required=True)
    total = fields.Integer(metadata={"description": "needed for a level the facility did not have"})


class BedsUpdate(Request):
    beds = fields.List(fields.Nested(BedUpdate), required=True)


class PlaceQuery(Request):
    name = fields.String(required=True, metadata={"description": "the name or a sentence containing it"})


class DistrictQuery(Request):
    district = fields.String(metadata={"description": DISTRICT})
    openid = fields.String(metadata={"description": OPENID})


class NamedDistrict(Schema):
    code = fields.String()
    name = fields.String()


class Allowance(Schema):
    district_code = fields.String()
    district_name = fields.String()
    kind = fields.String()
    age_min = fields.Integer()
    age_max = fields.Integer(allow_none=True)
    monthly_amount = fields.Integer()
    conditions = fields.String()
    documents = fields.List(fields.String())
    how_to_apply = fields.String()
    source = fields.String()


class Scheme(Schema):
    key = fields.String()
    district_code = fields.String(allow_none=True)
    title = fields.String()
    summary = fields.String()
    eligibility = fields.String()
    documents = fields.List(fields.String())
    how_to_apply = fields.String()
    details = fields.Dict(metadata={"description": "ltc: levels; home_retrofit: items and subsidies"})
    source = fields.String()
    your_subsidy = fields.Dict(
        metadata={"description": "home_retrofit with a bound openid: the subsidy rule the household meets"}
    )


class HouseholdMember(Schema):
    name = fields.String(metadata={"description": "masked"})
    self = fields.Boolean()
    age = fields.Integer()
    kind = fields.String()
    monthly_amount = fields.Integer()
    receiving = fields.Boolean()


class Allowances(Schema):
    district = fields.Nested(NamedDistrict, allow_none=True)
    allowances = fields.List(fields.Nested(Allowance))
    service_subsidy = fields.Nested(Scheme, allow_none=True)
    household = fields.List(
        fields.Nested(HouseholdMember), allow_none=True, metadata={"description": "null when not bound"}
    )


class ApplicationRequest(Request):
    kind = fields.String(required=True, validate=validate.OneOf(APPLICATION_KINDS))
    openid = fields.String(required=True)


class Subject(Schema):
    name = fields.String(metadata={"description": "masked"})
    self = fields.Boolean(metadata={"description": "the applicant"})


class Step(Schema):
    status = fields.String()
    at = fields.String()
    note = fields.String()
    text = fields.String()


class EldercareApplication(Schema):
    reference = fields.String()
    kind = fields.String(validate=validate.OneOf(APPLICATION_KINDS))
    status = fields.String()
    status_text = fields.String()
    level = fields.Integer(allow_none=True)
    subject = fields.Nested(Subject)
    district_code = fields.String()
    subsidy = fields.Dict()
    history = fields.List(fields.Nested(Step))
    created_at = fields.String()
    updated_at = fields.String()


class EldercareApplicationList(Schema):
    applications = fields.List(fields.Nested(EldercareApplication))


class ApplicationsQuery(Request):
    openid = fields.String(required=True, metadata={"description": "WeChat openid"})
    kind = fields.String(validate=validate.OneOf(APPLICATION_KINDS))


class EldercareStatusChange(Request):
    status = fields.String(required=True)
    note = fields.String()
    level = fields.Integer(metadata={"description": "0-6, needed for assessed"})
