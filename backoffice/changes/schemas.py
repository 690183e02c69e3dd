"""The change feed's bodies, for the OpenAPI document (backoffice/contract.py)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from backoffice.changes.feed import MAX_LIMIT
from backoffice.changes.models import DOMAINS, KINDS
from backoffice.contract import Request


class ChangesQuery(Request):
    after = fields.Integer(metadata={"description": "the id of the last change already read (0: from the start)"})
    limit = fields.Integer(validate=validate.Range(1, MAX_LIMIT), metadata={"description": f"at most {MAX_LIMIT}"})


class ChangeItem(Schema):
    id = fields.Integer(metadata={"description": "the cursor: ids only grow, in commit order"})
    domain = fields.String(validate=validate.OneOf(DOMAINS))
    kind = fields.String(
        validate=validate.OneOf(KINDS),
        metadata={
            "description": "status: a review step; reminder: the day before an appointment; cancelled: by the office; "
            "waitlist_booked: a waiting-list place became a booking (祭扫: data carries the day, gate, time, people "
            "and gate_url); opening_moved: staff changed when booking a day opens, told to those already booked that day "
            "(祭扫: data carries opens_at, opens_label and the booking's day, gate, time, people and gate_url)"
        },
    )
    ref = fields.String(metadata={"description": "case number, application reference, appointment or booking number"})
    recipient = fields.String(metadata={"description": "the sender to tell (WeChat openid or web chat sender)"})
    status = fields.String()
    data = fields.Dict(metadata={"description": "plain values for the resident's text (status_text, next_step …)"})
    at = fields.String(metadata={"description": "when it happened, Shanghai time"})


class ChangesAnswer(Schema):
    changes = fields.List(fields.Nested(ChangeItem))
    last = fields.Integer(metadata={"description": "the id to pass as `after` next time (unchanged when empty)"})
