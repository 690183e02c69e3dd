"""The document kinds an application asks residents to photograph (``seed/document_kinds.yaml``).

Every domain whose applications take documents (assistance, funeral, disability) names its required
kinds by code and renders them with :func:`required`, so the platform (web/documents) reads one shape
from every application: ``required_documents: [{kind, name}]``. ``GET /documents/programmes`` lists
what each programme asks for, before anyone applies (the bot's answer to "要带什么证件" for a resident
with no application under way).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml
from flask import Blueprint, jsonify
from marshmallow import Schema, fields

from backoffice import contract
from backoffice.assistance import standards
from backoffice.benefits import programmes as benefits

bp = Blueprint("documents", __name__)

KINDS_FILE = Path(__file__).resolve().parent / "seed" / "document_kinds.yaml"


@cache
def kinds() -> dict[str, str]:
    """Code → the name the bot uses (户口本)."""
    return dict(yaml.safe_load(KINDS_FILE.read_text(encoding="utf-8"))["kinds"])


def required(codes: list[str]) -> list[dict[str, str]]:
    """``codes`` as the applications' ``required_documents``; an unknown code is a seed error."""
    known = kinds()
    unknown = [code for code in codes if code not in known]
    if unknown:
        raise KeyError(f"document kinds not in {KINDS_FILE.name}: {unknown}")
    return [{"kind": code, "name": known[code]} for code in codes]


class RequiredDocument(Schema):
    kind = fields.String(required=True, metadata={"example": "hukou"})
    name = fields.String(required=True, metadata={"example": "户口本"})


class ProgrammeDocuments(Schema):
    domain = fields.String(required=True, metadata={"example": "assistance"})
    programme = fields.String(required=True, metadata={"example": "低保"})
    title = fields.String(required=True, metadata={"example": "低保"})
    required_documents = fields.List(fields.Nested(RequiredDocument), required=True)


class ProgrammeDocumentsList(Schema):
    programmes = fields.List(fields.Nested(ProgrammeDocuments), required=True)


@bp.get("/documents/programmes")
@contract.operation(
    "What each programme's application asks residents to photograph, before anyone applies (a funeral fee waiver "
    "resting on a household status also asks for its certificate)",
    responses={200: ("every programme that takes documents", ProgrammeDocumentsList)},
)
def programme_documents():
    found = [
        {"domain": "assistance", "programme": name, "title": name, "required_documents": required(codes)}
        for name, programme in standards.programs().items()
        if (codes := list(programme.get("required_documents") or []))
    ]
    for domain, names in (("funeral", benefits.FUNERAL), ("disability", benefits.DISABILITY)):
        for name in names:
            section = benefits.section(name)
            found.append(
                {
                    "domain": domain,
                    "programme": name,
                    "title": str(section["title"]),
                    "required_documents": required(list(section["required_documents"])),
                }
            )
    return jsonify(programmes=found)
