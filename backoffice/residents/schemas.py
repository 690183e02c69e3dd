"""The resident registry API's bodies, for the OpenAPI document (backoffice/contract.py)."""

from __future__ import annotations

from marshmallow import Schema, fields


class Member(Schema):
    id = fields.Integer()
    id_number = fields.String()
    name = fields.String()
    gender = fields.String()
    relation = fields.String(metadata={"description": "to the head of household"})
    age = fields.Integer()
    disability_grade = fields.Integer()


class Household(Schema):
    """income and assets: monthly yuan figures as declared or verified (经济状况核对)"""

    id = fields.Integer()
    community_code = fields.String()
    address = fields.String()
    monthly_income = fields.Integer()
    savings = fields.Integer()
    vehicles = fields.Integer()
    homes = fields.Integer()
    members = fields.List(fields.Nested(Member))


class Resident(Schema):
    id = fields.Integer()
    id_number = fields.String()
    name = fields.String()
    gender = fields.String()
    birth_date = fields.Date()
    age = fields.Integer()
    phone = fields.String()
    relation = fields.String(metadata={"description": "to the head of household"})
    hukou_district_code = fields.String()
    hukou_community_code = fields.String()
    disability_grade = fields.Integer(metadata={"description": "0 = none, 1..4"})
    living_alone = fields.Boolean()
    benefits = fields.List(fields.String())
    household = fields.Nested(Household)
