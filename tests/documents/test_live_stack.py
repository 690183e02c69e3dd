"""Through the live stack (back-office, actions, Rasa and web as the Procfile runs them, WeChat's
stand-in as WeChat): a verified resident applies for 低保 in the chat, is told which documents they
can photograph, sends photos, and hears what is still missing until nothing is."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice.residents.models import Resident, WechatBinding
from common.db import make_engine
from tests.documents.conftest import JPEG, PDF, PNG
from tests.eldercare.chat import wechat
from tests.identity.wechat_signin import verify
from web.documents.intake import TEXTS
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
