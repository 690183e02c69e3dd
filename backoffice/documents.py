"""The document kinds an application asks residents to photograph (``seed/document_kinds.yaml``).

Every domain whose applications take documents (assistance now; funeral, disability, … as they
come) names its required kinds by code and renders them with :func:`required`, so the platform
(web/documents) reads one shape from every application: ``required_documents: [{kind, name}]``.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml
from marshmallow import Schema, fields

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
