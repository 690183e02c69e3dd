"""A stored document is shown only to whoever may view its conversation (the agent handling it,
supervisors, administrators), each view and refusal audited; retention deletes file and row."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from tests.admin.conftest import sign_in
from tests.documents.conftest import JPEG
from web.admin.audit import AuditEntry
from web.conversations.models import Conversation
from web.documents import retention
from web.documents.models import Document
from web.handoff.models import Agent, Ticket


def _photo(stack) -> tuple[Document, Conversation]:
    openid, _ = stack.resident(programme="特困供养")
    stack.standin.send_image(openid, JPEG)
    stack.standin.send_text(openid, "1")
    with stack.sessions() as sess:
        doc = sess.scalar(select(Document).where(Document.sender_id == openid))
        conv = sess.scalar(select(Conversation).where(Conversation.sender_id == openid))
    assert doc is not None and doc.kind == "id_card"
    return doc, conv


def _audited(stack, action: str, document: int) -> list[AuditEntry]:
    with stack.sessions() as sess:
        return [
            e
            for e in sess.scalars(select(AuditEntry).where(AuditEntry.action == action))
            if e.detail.get("document") == document
        ]


def test_an_agent_not_handling_the_conversation_is_refused_and_it_is_audited(documents_stack):
    stack = documents_stack
    doc, conv = _photo(stack)
    agent, _ = sign_in(stack.app, "agent")
    assert agent.get(f"/console/documents/{doc.id}").status_code == 403
    (denied,) = _audited(stack, "view_denied", doc.id)
    assert denied.conversation_id == conv.id
    assert stack.app.test_client().get(f"/console/documents/{doc.id}").status_code in (302, 401)  # not signed in
    assert agent.get("/console/documents/999999").status_code == 404


def test_the_handling_agent_and_a_supervisor_see_it_each_view_audited(documents_stack):
    stack = documents_stack
    doc, conv = _photo(stack)
    with stack.sessions.begin() as sess:
        agent_id = sess.scalar(select(Agent.id).where(Agent.username == "agent"))
        now = datetime.now()
        sess.add(
            Ticket(
                conversation_id=conv.id,
                reason="human_handoff",
                status="active",
                agent_id=agent_id,
                queued_at=now,
                sla_due_at=now,
            )
        )
    for who in ("agent", "boss"):
        client, _ = sign_in(stack.app, who)
        shown = client.get(f"/console/documents/{doc.id}")
        assert shown.status_code == 200 and shown.data == JPEG and shown.mimetype == "image/jpeg"
        assert shown.headers["Cache-Control"] == "private, no-store"
        page = client.get(f"/console/conversations/{conv.id}").get_data(as_text=True)
        assert f"/console/documents/{doc.id}" in page and "身份证" in page
    assert len(_audited(stack, "view_document", doc.id)) == 2


def test_retention_deletes_the_file_and_its_row(documents_stack):
    stack = documents_stack
    doc, _ = _photo(stack)
    kept = stack.store_dir / doc.storage_key
    assert kept.exists()
    store = stack.app.extensions["services"].document_store
    with stack.sessions.begin() as sess:  # not yet expired: kept
        retention.purge(sess, store, cutoff=datetime.now() - timedelta(days=180))
    assert kept.exists()
    with stack.sessions.begin() as sess:
        assert retention.purge(sess, store, cutoff=datetime.now() + timedelta(seconds=1)) >= 1
    assert not kept.exists()
    with stack.sessions() as sess:
        assert sess.get(Document, doc.id) is None
    client, _ = sign_in(stack.app, "boss")
    assert client.get(f"/console/documents/{doc.id}").status_code == 404


def test_a_photo_never_sorted_is_deleted_after_a_day(documents_stack):
    stack = documents_stack
    openid, _ = stack.resident()
    stack.standin.send_image(openid, JPEG)  # asked which document; never answered
    with stack.sessions() as sess:
        doc = sess.scalar(select(Document).where(Document.sender_id == openid))
    store = stack.app.extensions["services"].document_store
    long_ago = datetime.now() - timedelta(days=365)
    with stack.sessions.begin() as sess:
        retention.purge(sess, store, cutoff=long_ago, now=datetime.now())
        assert sess.get(Document, doc.id) is not None  # the question is still open today
    with stack.sessions.begin() as sess:
        retention.purge(sess, store, cutoff=long_ago, now=datetime.now() + timedelta(days=2))
        assert sess.get(Document, doc.id) is None
    assert not (stack.store_dir / doc.storage_key).exists()
