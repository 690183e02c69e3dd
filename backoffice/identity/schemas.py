"""The identity API's bodies, for the OpenAPI document (backoffice/contract.py)."""

from __future__ import annotations

from marshmallow import Schema, fields

from backoffice.contract import Request

MIN_LIFETIME, MAX_LIFETIME = 60, 24 * 3600  # seconds: a web chat sign-in lasts at most a day


class BindRequest(Request):
    sender = fields.String(required=True, metadata={"description": "the channel's sender id (a WeChat openid)"})
    id_token = fields.String(
        required=True,
        metadata={"description": "the ID token the identity provider issued to the platform for this sign-in"},
    )
    lifetime_seconds = fields.Integer(
        load_default=None,
        metadata={
            "description": "the binding ends by itself after this many seconds (a web chat page's sign-in, "
            f"{MIN_LIFETIME}–{MAX_LIFETIME}); without it the binding lasts until it is unbound"
        },
    )


class Binding(Schema):
    sender = fields.String(required=True)
    resident_id = fields.Integer(required=True)
    masked_name = fields.String(required=True, metadata={"description": "张** (family name only)"})
    bound_at = fields.DateTime(required=True)
    expires_at = fields.DateTime(
        required=True, allow_none=True, metadata={"description": "when the binding ends by itself; null: never"}
    )
    method = fields.String(required=True, metadata={"description": "how the resident proved who they are: sms_otp"})
