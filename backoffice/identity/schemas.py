"""The identity API's bodies, for the OpenAPI document (backoffice/contract.py)."""

from __future__ import annotations

from marshmallow import Schema, fields

from backoffice.contract import Request


class BindRequest(Request):
    sender = fields.String(required=True, metadata={"description": "the channel's sender id (a WeChat openid)"})
    id_token = fields.String(
        required=True,
        metadata={"description": "the ID token the identity provider issued to the platform for this sign-in"},
    )


class Binding(Schema):
    sender = fields.String(required=True)
    resident_id = fields.Integer(required=True)
    masked_name = fields.String(required=True, metadata={"description": "张** (family name only)"})
    bound_at = fields.DateTime(required=True)
    method = fields.String(required=True, metadata={"description": "how the resident proved who they are: sms_otp"})
