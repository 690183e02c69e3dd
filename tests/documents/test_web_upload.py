"""The web chat's upload (POST /chat/documents) from a signed /chat page, and the WeChat media
download when the access_token has been replaced meanwhile."""

from __future__ import annotations

import io
import uuid

from sqlalchemy import select

from tests.documents.conftest import JPEG, MAX_BYTES, PDF
from web.documents.checks import REFUSALS
from web.documents.intake import TEXTS
from web.documents.models import Document


def _page(stack) -> tuple[str, dict[str, str]]:
    sender = "page-" + uuid.uuid4().hex
    return sender, {"X-Chat-Token": stack.app.extensions["services"].page_tokens.issue(sender)}


def _upload(client, headers, data: bytes, name: str = "photo.jpg"):
    return client.post("/chat/documents", headers=headers, data={"file": (io.BytesIO(data), name)})


def test_a_signed_page_uploads_a_pdf_and_answers_the_question_in_the_chat(documents_stack):
    stack = documents_stack
    sender, headers = _page(stack)
    _, case_no = stack.resident(sender=f"web:{sender}")
    client = stack.app.test_client()
    asked = _upload(client, headers, PDF, "scan.pdf")
    assert asked.status_code == 200
    assert asked.json[0]["recipient_id"] == sender and asked.json[0]["text"].startswith(TEXTS["ask"])
    said = client.post("/webhooks/rest/webhook", headers=headers, json={"message": "3"})
    assert said.json == [
        {
            "recipient_id": sender,
            "text": f"收到了，收入证明已经放进您的低保申请（{case_no}）。还差：身份证、户口本。可以接着拍照发过来。",
        }
    ]
    with stack.sessions() as sess:
        (doc,) = sess.scalars(select(Document).where(Document.sender_id == f"web:{sender}"))
    assert (doc.channel, doc.content_type, doc.kind) == ("web", "application/pdf", "income_proof")


def test_uploads_without_a_signed_page_or_too_large_are_refused(documents_stack):
    stack = documents_stack
    client = stack.app.test_client()
    assert _upload(client, {}, JPEG).status_code == 403
    assert _upload(client, {"X-Chat-Token": "forged"}, JPEG).status_code == 403
    _, headers = _page(stack)
    far_too_large = _upload(client, headers, JPEG + b"\x00" * (MAX_BYTES + 100_000))
    assert far_too_large.status_code == 413 and far_too_large.json["message"] == REFUSALS["too_large"]
    just_over = _upload(client, headers, JPEG + b"\x00" * MAX_BYTES)
    assert just_over.status_code == 200 and just_over.json[0]["text"] == REFUSALS["too_large"]
    assert client.post("/chat/documents", headers=headers, data={}).status_code == 400


def test_a_replaced_access_token_is_refreshed_and_the_photo_still_arrives(documents_stack):
    stack = documents_stack
    openid, _ = stack.resident()
    assert stack.standin.send_image(openid, JPEG).reply.startswith(TEXTS["ask"])  # a token is held now
    fetched = stack.standin.token_fetches
    stack.standin.revoke_tokens()  # the next media/get answers 40001
    assert stack.standin.send_image(openid, JPEG).reply == TEXTS["queued"]  # downloaded, waits for its question
    assert stack.standin.token_fetches == fetched + 1
