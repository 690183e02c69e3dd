"""The handbook API's bodies, for the OpenAPI document (backoffice/contract.py)."""

from __future__ import annotations

from marshmallow import Schema, fields

from backoffice.contract import Request


class HandbookEntry(Schema):
    id = fields.Integer()
    slug = fields.String()
    topic = fields.String()
    title = fields.String()
    body = fields.String()
    conditions = fields.String()
    how_to_apply = fields.String()
    documents = fields.List(fields.String())
    contact = fields.String()
    source = fields.String()
    effective_date = fields.Date(allow_none=True)
    district_code = fields.String(allow_none=True, metadata={"description": "null: the whole region"})
    keywords = fields.List(fields.String())
    next_step = fields.String()
    updated_by = fields.String()
    updated_at = fields.String()
    version = fields.Integer()


class HandbookEntryList(Schema):
    entries = fields.List(fields.Nested(HandbookEntry))


class EntriesQuery(Request):
    topic = fields.String(metadata={"description": "faq key, e.g. funeral"})
    district = fields.String(metadata={"description": "district code or name"})


class HandbookEntryChange(Request):
    """topic, title, body and source are required on create; on update send only the fields to change. district:
    code or name, null for the whole region. X-Editor header names the administrator."""

    slug = fields.String()
    topic = fields.String()
    title = fields.String()
    body = fields.String()
    conditions = fields.String()
    how_to_apply = fields.String()
    documents = fields.List(fields.String())
    contact = fields.String()
    source = fields.String()
    effective_date = fields.Date(allow_none=True)
    district = fields.String(allow_none=True)
    keywords = fields.List(fields.String())
    next_step = fields.String()


class Match(HandbookEntry):
    score = fields.Float()
    coverage = fields.Float(metadata={"description": "share of the question's meaning found"})


class SearchAnswer(Schema):
    query = fields.String()
    topic = fields.String(allow_none=True)
    district_code = fields.String(allow_none=True)
    results = fields.List(fields.Nested(Match), metadata={"description": "best first; empty when nothing answers it"})


class SearchQuery(Request):
    q = fields.String(required=True, metadata={"description": "the resident's question"})
    topic = fields.String(metadata={"description": "faq key picked by the retrieval intent"})
    district = fields.String(metadata={"description": "district code or name"})
    openid = fields.String(metadata={"description": "a bound WeChat openid (its district)"})
    limit = fields.Integer(metadata={"description": "1-10 (default 3)"})
