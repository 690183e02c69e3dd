"""A resident's document photo, for whoever may view their conversation (the agent handling it,
supervisors and administrators: ``queue.can_view``); every view and every refusal audited."""

from __future__ import annotations

from flask import Response, abort
from flask_login import current_user
from sqlalchemy import select

from common.db import session as db_session
from web.admin.audit import audit
from web.console.blueprint import bp
from web.console.services import services
from web.conversations.models import Conversation
from web.documents.models import Document
from web.handoff import queue


@bp.get("/documents/<int:document_id>")
def document_file(document_id: int):
    sess = db_session()
    doc = sess.get(Document, document_id)
    conv = sess.scalar(select(Conversation).where(Conversation.sender_id == doc.sender_id)) if doc else None
    if doc is None or conv is None or not queue.can_view(sess, current_user, conv.id):
        audit(sess, "view_denied", conv.id if conv else None, document=document_id)
        sess.commit()
        abort(403 if doc else 404)
    audit(sess, "view_document", conv.id, document=doc.id, kind=doc.kind, application_id=doc.application_id)
    sess.commit()
    try:
        data = services().documents.get(doc.storage_key)
    except KeyError:
        abort(410, description="这份材料的文件已经不在了（可能已过保存期限）")
    return Response(
        data,
        mimetype=doc.content_type,
        headers={
            "Content-Disposition": f'inline; filename="document-{doc.id}"',
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'",
        },
    )
