"""A resident in danger after hours, through the desk (web/handoff/intake.take): the on-call worker
is alerted, the resident hears who will call and when, never "上班后", also when they write again
or leave a number; a child at risk also files a case for the 未成年人保护 worker."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from common import danger as dangers
from tests.oncall.conftest import NIGHT, desk_closed, round_the_clock_rota
from web.conversations.models import Conversation, Message
from web.handoff import intake, queue
from web.handoff.child_protection.models import ChildProtectionReferral
from web.oncall.models import OncallAlert


def _said(sess, sender: str, text: str) -> tuple[Conversation, Message]:
    conv = sess.scalar(select(Conversation).where(Conversation.sender_id == sender))
    if conv is None:
        conv = Conversation(sender_id=sender, channel="wechat", state="bot")
        sess.add(conv)
        sess.flush()
    message = Message(conversation_id=conv.id, author="resident", text=text)
    sess.add(message)
    sess.flush()
    return conv, message


def test_after_hours_a_resident_in_danger_hears_who_will_call_and_is_never_told_tomorrow(sessions):
    text = "他喝醉了又要打我 我躲在厕所里"
    with sessions.begin() as sess:
        desk_closed(sess)
        round_the_clock_rota(sess)
        conv, message = _said(sess, "oDeskDanger1", text)
        [told] = intake.take(sess, conv, message, intake.ForDesk(danger=dangers.assess(text)), NIGHT)
    assert "110" in told and "值班的王老师" in told and "上班后" not in told and "明天" not in told
    with sessions() as sess:
        alert = sess.scalar(select(OncallAlert))
        conv = sess.scalar(select(Conversation).where(Conversation.sender_id == "oDeskDanger1"))
        assert alert.kind == "violence" and alert.conversation_id == conv.id
        assert (conv.state, conv.handoff_priority, conv.handoff_reason) == ("queued", "urgent", "danger:violence/self")
        assert sess.scalars(select(ChildProtectionReferral)).all() == []  # an adult at risk: no child case

    later = NIGHT + timedelta(minutes=10)
    with sessions.begin() as sess:
        conv, message = _said(sess, "oDeskDanger1", "还在吗")
        [reminder] = queue.resident_message(sess, conv, message, later)
        conv, message = _said(sess, "oDeskDanger1", "我电话13912345678")
        [noted] = queue.resident_message(sess, conv, message, later)
    assert "值班的王老师" in reminder and "上班后" not in reminder
    assert "139****5678" in noted and "值班的工作人员" in noted and "上班后" not in noted


def test_a_child_at_risk_also_files_a_case_for_the_child_protection_worker(sessions):
    text = "隔壁家小孩天天被他爸用皮带抽 身上都是伤"
    with sessions.begin() as sess:
        desk_closed(sess)
        conv, message = _said(sess, "oDeskDanger2", text)
        found = dangers.assess(text)
        [told] = intake.take(sess, conv, message, intake.ForDesk(danger=found), NIGHT)
    assert found.who == "child" and "未成年人保护" in told
    with sessions() as sess:
        [referral] = sess.scalars(select(ChildProtectionReferral)).all()
        assert referral.kind == found.kind and text in referral.account
