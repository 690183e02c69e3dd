"""Documents leave with the personal data's retention (``RETENTION_DAYS`` after they were sent),
and a photo never sorted to an application (its question unanswered) after a day."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from web.documents.intake import QUESTION_TTL
from web.documents.models import Document
from web.documents.storage import Store

log = logging.getLogger(__name__)


def purge(sess: Session, store: Store, cutoff: datetime, now: datetime | None = None) -> int:
    """Delete the files first, then their rows in the caller's transaction: a transaction that
    fails leaves rows whose files are already gone (deleted again next time, harmlessly), never
    a file no row points at."""
    unsorted_before = (now or datetime.now()) - timedelta(seconds=QUESTION_TTL)
    expired = or_(Document.created_at < cutoff, Document.kind.is_(None) & (Document.created_at < unsorted_before))
    found = sess.execute(select(Document.id, Document.storage_key).where(expired)).all()
    for _, key in found:
        store.delete(key)
    if found:
        sess.execute(delete(Document).where(Document.id.in_([doc_id for doc_id, _ in found])))
    log.info("documents purged", extra={"purged_documents": len(found)})
    return len(found)
