"""残疾人两项补贴 through the real stack (WeChat → Rasa → actions → back-office), as residents who signed in
through the identity provider's pages; their disability record is the registry's."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice.benefits.models import BenefitApplication
from backoffice.residents.models import Household, Resident
from tests.eldercare.chat import wechat
from tests.waiting import wait_for
from tools import stack
from web.assistance.models import OutboxEntry
from web.conversations.models import Conversation

pytestmark = pytest.mark.stack


def give_record(backoffice_db, resident_id: int, grade: int, category: str, status: str | None) -> None:
    """The registry says: this resident holds a certificate; the household is 低保 (or not)."""
    with Session(backoffice_db) as sess:
        resident = sess.get(Resident, resident_id)
        for member in sess.get(Household, resident.household_id).members:
            member.disability_grade, member.disability_category = 0, ""
            member.benefits = [b for b in member.benefits if b not in ("低保", "低收入", "特困供养", "残疾人两项补贴")]
        resident.disability_grade, resident.disability_category = grade, category
        resident.benefits = [status] if status else []
        sess.commit()


def cases(backoffice_db, openid: str) -> list[BenefitApplication]:
    with Session(backoffice_db) as sess:
        return list(sess.scalars(select(BenefitApplication).where(BenefitApplication.submitted_by_openid == openid)))


def test_an_unverified_resident_hears_the_amounts_and_is_asked_to_verify(live_stack):
    openid = "oDisAnon" + uuid.uuid4().hex[:8]
    answer = wechat(live_stack, openid, "帮我看看我能不能领残疾人两项补贴")
    assert "困难残疾人生活补贴" in answer and "重度残疾人护理补贴" in answer and "380" in answer
    assert "/identity/bind/" in answer


def test_a_verified_resident_checks_applies_and_follows_progress(live_stack, backoffice_db, verified):
    openid, me = verified("Disab")
    give_record(backoffice_db, me.id, 2, "肢体", "低保")
    check = wechat(live_stack, openid, "帮我看看我能不能领残疾人两项补贴")
    assert "您本人（肢体二级残疾，家里是低保）" in check
    assert "每月380元" in check and "每月200元" in check and "现在就帮您提交吗" in check
    read_back = wechat(live_stack, openid, "帮我申请残疾人两项补贴")
    assert "现在就帮您提交吗" in read_back and "残疾证" in read_back
    done = wechat(live_stack, openid, "对")
    made = cases(backoffice_db, openid)
    assert sorted(c.programme for c in made) == ["disability_care", "disability_living"]
    assert all(c.case_no in done for c in made) and "残疾证" in done
    assert all("disability_card" in c.required_documents for c in made)
    again = wechat(live_stack, openid, "帮我申请残疾人两项补贴")
    assert "已经有申请在办" in again and len(cases(backoffice_db, openid)) == 2
    progress = wechat(live_stack, openid, "残疾人补贴批了没有")
    assert all(c.case_no in progress for c in made) and "申请已受理" in progress


def test_a_grade_three_physical_disability_outside_dibao_gets_neither_and_is_told_why(
    live_stack, backoffice_db, verified
):
    openid, me = verified("DisabNo")
    give_record(backoffice_db, me.id, 3, "肢体", None)
    answer = wechat(live_stack, openid, "帮我看看我能不能领残疾人两项补贴")
    assert "不属于重度残疾" in answer and "不是低保或低收入" in answer and "现在就帮您提交吗" not in answer


def test_an_application_confirmed_while_the_back_office_is_down_is_submitted_later(
    live_stack, backoffice_process, backoffice_db, platform_db, verified
):
    openid, me = verified("DisabOutbox")
    give_record(backoffice_db, me.id, 1, "视力", "低保")
    assert "现在就帮您提交吗" in wechat(live_stack, openid, "帮我申请残疾人两项补贴")
    worker = None
    backoffice_process.stop()
    try:
        saved = wechat(live_stack, openid, "对")
        assert "保存好了" in saved and "自动帮您提交" in saved
        with Session(platform_db) as sess:
            conv = sess.scalar(select(Conversation).where(Conversation.sender_id == openid))
            entries = sess.scalars(select(OutboxEntry).where(OutboxEntry.conversation_id == conv.id)).all()
            assert sorted(e.body["programme"] for e in entries) == ["disability_care", "disability_living"]
            assert {e.kind for e in entries} == {"benefit_application"}
            ids = [e.id for e in entries]
        worker = stack.start_process("worker", live_stack.env, live_stack.log_dir)
    finally:
        backoffice_process.start()
    try:

        def sent() -> bool:
            with Session(platform_db) as sess:
                return all(
                    sess.get(OutboxEntry, i).status == "sent" and sess.get(OutboxEntry, i).notified_at for i in ids
                )

        wait_for(sent, 120, "the outbox entries were not submitted after the back-office came back")
    finally:
        stack.stop_process(worker)
    made = cases(backoffice_db, openid)
    assert sorted(c.idempotency_key for c in made) == sorted(ids)
