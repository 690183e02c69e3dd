"""The region API's bodies, for the OpenAPI document (backoffice/contract.py)."""

from __future__ import annotations

from marshmallow import Schema, fields


class Community(Schema):
    code = fields.String()
    name = fields.String()


class Street(Schema):
    code = fields.String()
    name = fields.String()
    kind = fields.String(metadata={"description": "街道 or 镇"})
    communities = fields.List(fields.Nested(Community))


class District(Schema):
    code = fields.String()
    name = fields.String()
    streets = fields.List(fields.Nested(Street))


class Region(Schema):
    districts = fields.List(fields.Nested(District))
