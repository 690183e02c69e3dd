"""Through the live stack (back-office, actions, Rasa and web as the Procfile runs them, WeChat's
stand-in as WeChat): a verified resident applies for 低保, for 残疾人两项补贴 or for a funeral benefit in
the chat, is told which documents they can photograph, sends photos, asks what is still missing (the
bot recognises the question, the platform answers it from the documents), until nothing is."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice.benefits.models import BenefitApplication
from backoffice.residents.models import Resident, WechatBinding
from common.db import make_engine
from tests.disability.test_conversations import give_record
from tests.documents.conftest import JPEG, PDF, PNG
from tests.eldercare.chat import wechat
from tests.identity.wechat_signin import verify
from tools.conversations.spec import PHOTO
from tools.conversations.talk import Talker
from web.documents.intake import TEXTS
from web.documents.missing import TEXTS as ANSWERS
from web.documents.models import Document

pytestmark = pytest.mark.stack


def test_a_resident_applies_in_chat_and_sends_the_documents_as_photos(live_stack):
    backoffice = make_engine(live_stack.env["BACKOFFICE_DATABASE_URL"])
    with Session(backoffice) as sess:
        free = select(Resident).where(Resident.phone != "", Resident.id.not_in(select(WechatBinding.resident_id)))
        resident = sess.scalars(free.order_by(Resident.id).limit(1)).one()
        sess.expunge(resident)
    openid = f"oDocs{uuid.uuid4().hex[:10]}"
    verify(live_stack, openid, resident)

    assert "给您本人办，还是替家里人办" in wechat(live_stack, openid, "我想申请低保")
    wechat(live_stack, openid, "给我自己办")
    assert "经济状况核对" in wechat(live_stack, openid, "我下岗好几年了，一直没有收入，身体也不好")
    wechat(live_stack, openid, "同意")
    done = wechat(live_stack, openid, "对")
    assert "申请编号" in done and "其中身份证、户口本、收入证明可以直接拍照发给我" in done
    case_no = done.split("申请编号是 ", 1)[1].split("，", 1)[0]

    standin = live_stack.wechat
    assert standin.send_image(openid, JPEG).reply.splitlines() == [
        TEXTS["ask"],
        "1. 身份证",
        "2. 户口本",
        "3. 收入证明",
    ]
    attached = standin.send_text(openid, "2").reply
    assert attached == f"收到了，户口本已经放进您的低保申请（{case_no}）。还差：身份证、收入证明。可以接着拍照发过来。"
    assert standin.send_image(openid, PNG).reply.splitlines()[1:] == ["1. 身份证", "2. 收入证明"]
    standin.send_text(openid, "身份证")
    assert standin.send_image(openid, PDF).reply.endswith(TEXTS["complete"])

    platform = make_engine(live_stack.env["DATABASE_URL"])
    with Session(platform) as sess:
        docs = sess.scalars(select(Document).where(Document.sender_id == openid).order_by(Document.id)).all()
    assert [(d.application_id, d.kind) for d in docs] == [
        (case_no, "hukou"),
        (case_no, "id_card"),
        (case_no, "income_proof"),
    ]
    # the bot carries on as before: a question after the photos goes to Rasa
    assert case_no in wechat(live_stack, openid, "我的低保申请到哪一步了")
    backoffice.dispose()
    platform.dispose()


def _documents_by_case(platform, openid: str) -> dict[str, set[str]]:
    with Session(platform) as sess:
        found = sess.scalars(select(Document).where(Document.sender_id == openid, Document.kind.is_not(None))).all()
    by_case: dict[str, set[str]] = {}
    for doc in found:
        by_case.setdefault(doc.application_id, set()).add(doc.kind)
    return by_case


def _talker(live_stack, platform, openid: str) -> Talker:
    """A resident in WeChat whose answers are read from the transcript (the bot's, or the platform's own)."""
    talker = Talker(live_stack, platform, "wechat", "documents")
    talker.sender_id = openid
    return talker


def test_both_disability_subsidies_applied_for_in_chat_and_every_document_sent_as_a_photo(
    live_stack, backoffice_db, platform_db, verified
):
    openid, me = verified("DocsDis")
    give_record(backoffice_db, me.id, 2, "肢体", "低保")
    chat = _talker(live_stack, platform_db, openid)
    assert "现在就帮您提交吗" in chat.say("帮我申请残疾人两项补贴").shown
    done = chat.say("对").shown
    with Session(backoffice_db) as sess:
        made = {
            c.programme: c.case_no
            for c in sess.scalars(select(BenefitApplication).where(BenefitApplication.submitted_by_openid == openid))
        }
    living, care = made["disability_living"], made["disability_care"]
    assert living in done and care in done and "拍照发给我" in done
    title = {living: f"困难残疾人生活补贴申请（{living}）", care: f"重度残疾人护理补贴申请（{care}）"}
    both = "和".join(title[case_no] for case_no in sorted(made.values()))  # as they were made

    asked = chat.say("还缺什么材料")
    assert asked.intent == "documents_missing"
    assert f"您的{both}：\n{ANSWERS['nothing_yet']}\n还差：" in asked.shown
    assert all(name in asked.shown for name in ("残疾证", "户口本", "低保、低收入或特困供养证明", "银行卡或社保卡"))
    assert ANSWERS["how"] in asked.shown

    assert chat.say(PHOTO).shown.startswith(TEXTS["ask"])
    assert f"残疾证已经放进您的{both}" in chat.say("1").shown
    for name in ("身份证", "户口本", "银行卡"):
        chat.say(PHOTO)
        chat.say(name)
    left = chat.say("我还要交啥").shown
    assert "还差：低保、低收入或特困供养证明" in left and "残疾证" in left  # received, and the one missing
    assert chat.say(PHOTO).shown.endswith(TEXTS["complete_several"])  # the last one: no question
    complete = chat.say("材料交齐了吗").shown
    assert ANSWERS["complete"] in complete and "还差" not in complete

    assert _documents_by_case(platform_db, openid) == {
        living: {"disability_card", "id_card", "hukou", "assistance_certificate", "bank_card"},
        care: {"disability_card", "id_card", "hukou", "bank_card"},
    }
    with Session(backoffice_db) as sess:  # the back-office's cases as the chat made them, still being handled
        statuses = sess.scalars(select(BenefitApplication.status).where(BenefitApplication.case_no.in_(made.values())))
        assert set(statuses) == {"受理"}


def test_a_funeral_subsidy_applied_for_in_chat_takes_its_documents_as_photos(
    live_stack, backoffice_db, platform_db, verified
):
    openid, _ = verified("DocsFun")
    chat = _talker(live_stack, platform_db, openid)
    for said in ("我爸已经海葬了 帮我申请补贴", "普陀区", "张建国", "310107194203150027", "前天", "我爸"):
        chat.say(said)
    done = chat.say("对").shown
    with Session(backoffice_db) as sess:
        case = sess.scalars(select(BenefitApplication).where(BenefitApplication.submitted_by_openid == openid)).one()
        case_no, needed = case.case_no, set(case.required_documents)
    assert case_no in done and "拍照发给我" in done and case.programme == "eco_burial"
    asked = chat.say("要带什么证件")
    assert asked.intent == "documents_missing" and f"您的生态安葬补贴申请（{case_no}）：" in asked.shown
    for answer in ("死亡证明", "火化证明", "1", "身份证"):
        chat.say(PHOTO)
        chat.say(answer)
    last = chat.say(PHOTO).replies  # the transcript's lines after the photo
    assert last == [f"收到了，银行卡或社保卡已经放进您的生态安葬补贴申请（{case_no}）。" + TEXTS["complete"]]
    assert _documents_by_case(platform_db, openid) == {case_no: needed}
