"""The child-protection API's bodies, for the OpenAPI document (backoffice/contract.py)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from backoffice.child_protection.models import KINDS, STATUSES
from backoffice.contract import Request
from backoffice.eldercare.schemas import NamedDistrict


class ChildProtectionReport(Request):
    sender = fields.String(
        required=True,
        validate=validate.Length(1, 80),
        metadata={
            "description": "the channel's sender id (a WeChat openid, web:…); verified senders go to their community"
        },
    )
    kind = fields.String(required=True, validate=validate.OneOf(tuple(KINDS)))
    account = fields.String(
        required=True,
        validate=validate.Length(1, 10000),
        metadata={"description": "what the resident said, the whole message as written (kept, never logged unmasked)"},
    )
    conversation_url = fields.String(
        required=True,
        validate=validate.Length(1, 500),
        metadata={"description": "the conversation in the agent console"},
    )
    reported_at = fields.DateTime(
        required=True, metadata={"description": "when the resident said it (ISO 8601; without an offset, UTC)"}
    )


class ChildProtectionAssignee(Schema):
    name = fields.String(metadata={"description": "masked"})
    role = fields.String(metadata={"description": "社区儿童主任, 村儿童主任 or the station's 值班社工"})
    community = fields.String(allow_none=True, metadata={"description": "the community's name; null for a station"})
    station = fields.String(allow_none=True, metadata={"description": "the 未成年人保护工作站; null for a community"})
    phone = fields.String()


class ChildProtectionCase(Schema):
    reference = fields.String(metadata={"description": "WB + the day received (Shanghai) + a number"})
    kind = fields.String(validate=validate.OneOf(tuple(KINDS)))
    kind_text = fields.String()
    status = fields.String(validate=validate.OneOf(tuple(STATUSES)))
    status_text = fields.String()
    assigned_to = fields.Nested(ChildProtectionAssignee)
    district = fields.Nested(NamedDistrict)
    reported_at = fields.String(metadata={"description": "UTC, ISO 8601"})
    received_at = fields.String(metadata={"description": "UTC, ISO 8601"})
