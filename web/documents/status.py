"""An application's documents: required, attached, still missing (the generic read every flow uses)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from web.documents.models import Document
from web.documents.requirements import ApplicationRef, DocumentKind, OpenApplication


@dataclass(frozen=True)
class DocumentStatus:
    application: OpenApplication
    attached: tuple[Document, ...]
    missing: tuple[DocumentKind, ...]


def attached(sess: Session, ref: ApplicationRef) -> list[Document]:
    return list(
        sess.scalars(
            select(Document)
            .where(Document.application_kind == ref.kind, Document.application_id == ref.id)
            .order_by(Document.id)
        )
    )


def status(sess: Session, application: OpenApplication) -> DocumentStatus:
    docs = attached(sess, application.ref)
    have = {d.kind for d in docs}
    return DocumentStatus(application, tuple(docs), tuple(k for k in application.required if k.code not in have))


def for_sender(sess: Session, sender_id: str) -> list[Document]:
    """Every document that came in a conversation, newest first (the console's list)."""
    return list(sess.scalars(select(Document).where(Document.sender_id == sender_id).order_by(Document.id.desc())))
