"""A resident photographs their documents in WeChat: the image message's media is downloaded
through the WeChat API (the stand-in), checked, stored with their open application, and the
bot's answer says what is still missing; what cannot be taken is refused in plain Chinese."""

from __future__ import annotations

from sqlalchemy import select

from tests.documents.conftest import JPEG, MAX_BYTES, PDF, PNG
from web.conversations.models import Conversation
from web.documents.checks import REFUSALS
from web.documents.intake import TEXTS
from web.documents.models import Document
from web.documents.requirements import ApplicationRef


def _documents(stack, openid: str) -> list[Document]:
    with stack.sessions() as sess:
        return list(sess.scalars(select(Document).where(Document.sender_id == openid).order_by(Document.id)))


def test_a_photo_is_downloaded_stored_and_attached_and_the_missing_list_shrinks(documents_stack):
    stack = documents_stack
    openid, case_no = stack.resident()
    asked = stack.standin.send_image(openid, JPEG)
    assert asked.reply.splitlines() == [TEXTS["ask"], "1. 身份证", "2. 户口本", "3. 收入证明"]
    assert stack.standin.media_downloads, "the image was fetched through /cgi-bin/media/get"
    (pending,) = _documents(stack, openid)
    assert pending.kind is None and pending.content_type == "image/jpeg" and pending.scan == "not_scanned"
    assert (stack.store_dir / pending.storage_key).read_bytes() == JPEG

    said = stack.standin.send_text(openid, "2")
    assert (
        said.reply == f"收到了，户口本已经放进您的低保申请（{case_no}）。还差：身份证、收入证明。可以接着拍照发过来。"
    )
    (attached,) = _documents(stack, openid)
    assert (attached.application_kind, attached.application_id, attached.kind) == ("assistance", case_no, "hukou")

    assert stack.standin.send_image(openid, PNG).reply.splitlines()[1:] == ["1. 身份证", "2. 收入证明"]
    assert stack.standin.send_text(openid, "身份证").reply.endswith("还差：收入证明。可以接着拍照发过来。")
    # one document still missing: the next photo is that one, no question asked
    last = stack.standin.send_image(openid, PDF)
    assert last.reply == f"收到了，收入证明已经放进您的低保申请（{case_no}）。" + TEXTS["complete"]
    kinds = [(d.kind, d.content_type) for d in _documents(stack, openid)]
    assert kinds == [("hukou", "image/jpeg"), ("id_card", "image/png"), ("income_proof", "application/pdf")]
    with stack.sessions() as sess:  # the transcript shows the agent what came in and what was said
        conv = sess.scalar(select(Conversation).where(Conversation.sender_id == openid))
        lines = [(m.author, m.text) for m in conv.messages]
    assert ("resident", "[图片]") in lines and ("bot", last.reply) in lines


def test_the_generic_status_lists_required_attached_and_missing(documents_stack):
    from web.documents import status

    stack = documents_stack
    openid, case_no = stack.resident(programme="临时救助")
    (app,) = stack.app.extensions["photos"].sources[0].open_for(openid)
    assert app.ref == ApplicationRef("assistance", case_no)
    assert [k.code for k in app.required] == ["id_card", "hukou", "hardship_proof"]
    stack.standin.send_image(openid, JPEG)
    stack.standin.send_text(openid, "3")
    with stack.sessions() as sess:
        found = status.status(sess, app)
    assert [d.kind for d in found.attached] == ["hardship_proof"]
    assert [k.name for k in found.missing] == ["身份证", "户口本"]


def test_a_forged_or_expired_media_id_is_not_a_document(documents_stack):
    stack = documents_stack
    openid, _ = stack.resident()
    assert stack.standin.send_media_message(openid, "forged-media-id").reply == TEXTS["download_failed"]
    media_id = stack.standin.upload_media(JPEG, "image/jpeg")
    stack.standin.expire_media(media_id)
    assert stack.standin.send_media_message(openid, media_id).reply == TEXTS["download_failed"]
    assert _documents(stack, openid) == []


def test_too_large_wrong_type_and_empty_files_are_refused_in_plain_chinese(documents_stack):
    stack = documents_stack
    openid, _ = stack.resident()
    too_large = JPEG[:-2] + b"\x00" * MAX_BYTES + b"\xff\xd9"
    assert stack.standin.send_image(openid, too_large).reply == REFUSALS["too_large"]
    # a script named as a photo: the type is read from the content, never the name or the Content-Type
    assert stack.standin.send_image(openid, b"#!/bin/sh\nrm -rf /\n", "image/jpeg").reply == REFUSALS["wrong_type"]
    gif = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00"
    assert stack.standin.send_image(openid, gif, "image/gif").reply == REFUSALS["wrong_type"]
    assert _documents(stack, openid) == []
    assert not [p for p in stack.store_dir.glob("*") if p.name.startswith(".incoming")]


def test_a_resident_without_an_open_application_is_told_and_nothing_is_kept(documents_stack):
    """Verified with no application that takes documents, or not verified: each is told what is true for them."""
    stack = documents_stack
    openid, _ = stack.resident(case_no="")
    told = stack.standin.send_image(openid, JPEG).reply
    assert told == TEXTS["no_application"] and "实名认证" not in told  # already verified: never asked to again
    unbound = "o" + "unbound".ljust(27, "x")
    told = stack.standin.send_image(unbound, JPEG).reply
    assert told.startswith(TEXTS["not_verified"]) and "没有保存" in told
    assert "点这里进行实名认证" in told and "/identity/bind/" in told  # the link, which resumes once verified
    assert _documents(stack, openid) == [] and _documents(stack, unbound) == []


def test_a_number_without_a_question_goes_to_the_bot_not_to_documents(documents_stack):
    stack = documents_stack
    openid, _ = stack.resident()
    assert stack.app.extensions["photos"].answer("wechat", openid, "2") is None


def test_several_photos_at_once_are_asked_about_in_turn_and_none_is_lost(documents_stack):
    stack = documents_stack
    openid, case_no = stack.resident()
    assert stack.standin.send_image(openid, JPEG).reply.startswith(TEXTS["ask"])
    assert stack.standin.send_image(openid, PNG).reply == TEXTS["queued"]
    assert stack.standin.send_image(openid, PDF).reply == TEXTS["queued"]
    first = stack.standin.send_text(openid, "3").reply  # the JPEG is the 收入证明
    assert first.startswith(f"收到了，收入证明已经放进您的低保申请（{case_no}）。还差：身份证、户口本。")
    assert first.endswith(TEXTS["next"] + "\n1. 身份证\n2. 户口本")  # asked with what is missing now
    second = stack.standin.send_text(openid, "户口本").reply
    assert second.endswith(TEXTS["next"] + "\n1. 身份证")
    assert stack.standin.send_text(openid, "1").reply.endswith(TEXTS["complete"])
    kinds = [(d.kind, d.content_type) for d in _documents(stack, openid)]
    assert kinds == [("income_proof", "image/jpeg"), ("hukou", "image/png"), ("id_card", "application/pdf")]


def test_after_a_digression_a_bare_number_is_the_bots_and_the_question_is_put_again(documents_stack):
    stack = documents_stack
    openid, case_no = stack.resident()
    assert stack.standin.send_image(openid, JPEG).reply.startswith(TEXTS["ask"])
    stack.standin.send_text(openid, "我想先问问别的事")  # to the bot (unreachable here: it says it is busy)
    assert not stack.standin.send_text(openid, "1").reply.startswith("收到了")  # may answer the bot's own choices
    assert _documents(stack, openid)[0].kind is None
    assert stack.standin.send_text(openid, "这是户口本").reply.startswith(
        f"收到了，户口本已经放进您的低保申请（{case_no}）"
    )
    assert stack.standin.send_image(openid, PNG).reply.splitlines() == [TEXTS["ask"], "1. 身份证", "2. 收入证明"]
    assert stack.standin.send_text(openid, "1").reply.startswith("收到了，身份证")  # asked anew: a number answers
