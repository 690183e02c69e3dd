"""Social assistance through the real stack: web → Rasa → actions → back-office.

Where the NLU is not the point, a web-chat turn uses Rasa's intent syntax (``/assistance_apply``);
the answers inside the forms are free text, read by the forms' validation actions. Applying and
progress are a verified resident's: those tests talk over WeChat (signed XML) as residents who
signed in through the identity provider's pages (the ``verified`` fixture), not as inserted rows.
"""

from __future__ import annotations

import json
import uuid

import pytest
import requests
from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice.assistance.models import Application
from backoffice.region.models import Community
from backoffice.residents.models import Household, Resident
from common.masking import id_check_char, mask_id_number, mask_name
from tests.eldercare.chat import wechat
from tests.waiting import wait_for
from tools import stack
from web.assistance.models import OutboxEntry
from web.conversations.models import Conversation, Message
from web.outbound.models import OutboundMessage

pytestmark = pytest.mark.stack

PHONE = "13912345678"


def new_sender(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def make_id(birth: str = "19480315") -> str:
    first17 = f"310107{birth}{uuid.uuid4().int % 900 + 100:03d}"
    return first17 + id_check_char(first17)


def say(live_stack, sender: str, text: str) -> str:
    resp = requests.post(
        live_stack.url("web") + "/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=60
    )
    assert resp.status_code == 200, resp.text
    return "\n".join(m.get("text", "") for m in resp.json())


def intent(name: str, **entities) -> str:
    return f"/{name}{json.dumps(entities, ensure_ascii=False)}" if entities else f"/{name}"


def applications_for(backoffice_db, id_number: str) -> list[Application]:
    with Session(backoffice_db) as sess:
        return list(sess.scalars(select(Application).where(Application.applicant_id_number == id_number)))


def backoffice_api(live_stack, method: str, path: str, **kwargs) -> dict:
    headers = {"Authorization": f"Bearer {live_stack.env['BACKOFFICE_TOKEN']}", **kwargs.pop("headers", {})}
    resp = requests.request(method, live_stack.url("backoffice") + path, headers=headers, timeout=10, **kwargs)
    assert resp.status_code < 300, resp.text
    return resp.json()


def file_application(live_stack, id_number: str, openid: str) -> str:
    body = {
        "type": "低保",
        "applicant": {"id_number": id_number, "relation": "本人", "phone": PHONE},
        "community": "曹杨一村",
        "hardship": "失业在家，没有收入",
        "consent": {"economic_check": True},
        "submitted_by_openid": openid,
        "channel": "wechat",
    }
    return backoffice_api(
        live_stack, "POST", "/assistance/applications", json=body, headers={"Idempotency-Key": uuid.uuid4().hex}
    )["case_no"]


# --- pre-check ---------------------------------------------------------------------------


def test_precheck_likely_eligible_cites_the_district_standard(live_stack):
    sender = new_sender("check-yes")
    first = say(live_stack, sender, intent("assistance_eligibility"))
    assert "1510" in first and "哪个区" in first
    assert "几口人" in say(live_stack, sender, "普陀区")
    assert "收入" in say(live_stack, sender, "我们家三口人")
    assert "存款" in say(live_stack, sender, "一个月一共三千块")
    assert "汽车" in say(live_stack, sender, "没有存款")
    assert "大病" in say(live_stack, sender, "没车")
    answer = say(live_stack, sender, "都没有")
    assert "可能符合低保" in answer
    assert "人均约1000元" in answer and "1510元" in answer  # the figure and the rule used
    assert "民政部门" in answer and "决定" in answer  # the bureau decides; nothing is promised


def test_precheck_likely_not_says_which_limit(live_stack):
    sender = new_sender("check-no")
    say(live_stack, sender, intent("assistance_eligibility", district="宝山区"))
    for answer in ("2口人", "8000", "十万", "有一辆车"):
        say(live_stack, sender, answer)
    answer = say(live_stack, sender, "没有")
    assert "可能不符合" in answer
    assert "3020" in answer and "人均月收入约4000元" in answer
    assert "有1辆车" in answer and "民政部门" in answer


def test_precheck_needs_assessment_for_serious_illness_expenses(live_stack):
    sender = new_sender("check-maybe")
    say(live_stack, sender, intent("assistance_eligibility", district="普陀区"))
    for answer in ("两口人", "四千", "一万", "没有"):
        say(live_stack, sender, answer)
    answer = say(live_stack, sender, "老伴住院了，每个月自己付的药费一千")
    assert "需要工作人员上门" in answer and "支出型贫困" in answer
    assert "扣除后人均约1500元" in answer and "民政部门" in answer


# --- applying ----------------------------------------------------------------------------


def fill_application(live_stack, openid: str) -> str:
    """A verified resident applies for themselves: nothing the registry knows is asked."""
    assert "给您本人办，还是替家里人办" in wechat(live_stack, openid, "我想申请低保")
    hardship = wechat(live_stack, openid, "给我自己办")
    assert "困难" in hardship and "身份证" not in hardship and "手机" not in hardship
    return wechat(live_stack, openid, "我下岗好几年了，一直没有收入，身体也不好")


def test_an_unverified_resident_is_asked_to_verify_before_any_question(live_stack):
    openid = "oUnverified" + uuid.uuid4().hex[:8]
    asked = wechat(live_stack, openid, "我想申请低保")
    assert "先确认是您本人" in asked and "/identity/bind/" in asked
    assert (
        "还是替家里人办" not in asked and "哪一种" not in asked
    )  # no form question: nobody types a form to be refused
    web = say(live_stack, new_sender("web-apply"), intent("assistance_apply", assistance_type="低保"))
    assert "先确认是您本人" in web and "微信公众号" in web  # the web chat's sender is the page's: never verified


def test_without_consent_nothing_is_submitted(live_stack, backoffice_db, verified):
    openid, me = verified("NoConsent")
    assert "经济状况核对" in fill_application(live_stack, openid)
    refusal = wechat(live_stack, openid, "不同意")
    assert "没法提交" in refusal and "同意" in refusal
    assert "好的，先不办了" in wechat(live_stack, openid, "不办了")
    assert applications_for(backoffice_db, me.id_number) == []


def test_applying_for_oneself_reads_the_registry_back_masked(live_stack, backoffice_db, verified):
    openid, me = verified("Self")
    fill_application(live_stack, openid)
    read_back = wechat(live_stack, openid, "同意")
    assert f"您本人（{mask_name(me.name)}）" in read_back and mask_id_number(me.id_number) in read_back
    assert me.id_number not in read_back and me.phone not in read_back and me.phone[-4:] in read_back
    done = wechat(live_stack, openid, "对")
    [case] = applications_for(backoffice_db, me.id_number)
    assert case.case_no in done and case.relation == "本人" and case.phone == me.phone
    assert case.submitted_by_openid == openid and case.applicant_resident_id == me.id


def test_a_household_member_application_gets_a_case_number_documents_and_the_advisor(
    live_stack, backoffice_db, verified
):
    openid, me = verified("Family", spouse=True)
    with Session(backoffice_db) as sess:
        spouse = sess.scalars(
            select(Resident).where(Resident.household_id == me.household_id, Resident.relation == "配偶")
        ).first()
        community = sess.get(Community, sess.get(Household, me.household_id).community_code)
        advisor = community.street.advisor_name
    assert "哪一种" in wechat(live_stack, openid, "我想申请救助")
    inferred = wechat(live_stack, openid, "我老伴生病住院花了好多钱，家里快过不下去了")
    assert "医疗救助" in inferred and "本人" in inferred
    consent = wechat(live_stack, openid, "帮我老伴申请")  # from the household: no ID number, phone or community asked
    assert "经济状况核对" in consent and "身份证" not in consent
    read_back = wechat(live_stack, openid, "同意")
    assert f"您的配偶（{mask_name(spouse.name)}）" in read_back and mask_id_number(spouse.id_number) in read_back
    assert spouse.id_number not in read_back and "医疗救助" in read_back and me.phone not in read_back
    done = wechat(live_stack, openid, "对")
    [case] = applications_for(backoffice_db, spouse.id_number)
    assert case.case_no in done and case.relation == "配偶" and case.type == "医疗救助"
    assert case.submitted_by_resident_id == me.id and case.consent_at is not None
    assert case.community_code == community.code and advisor in done and "医保卡" in done
    assert "民政部门决定" in done
    progress = wechat(live_stack, openid, "我的救助申请到哪一步了")
    assert case.case_no in progress and "收下您的申请" in progress


def test_someone_outside_the_household_cannot_be_chosen(live_stack, backoffice_db, verified):
    openid, me = verified("Stranger")
    assert "给您本人办，还是替家里人办" in wechat(live_stack, openid, "我想申请临时救助")
    relation = wechat(live_stack, openid, "帮别人申请")
    assert "什么人" in relation
    listed = wechat(live_stack, openid, "朋友")
    stranger = make_id("19550505")
    if "只有您一位" in listed:  # alone in the household: the form ends there
        assert "本人实名认证" in listed
    else:
        assert "回复序号" in listed and "不在这里面的亲属" in listed
        refused = wechat(live_stack, openid, f"他的身份证号是{stranger}")
        assert "没有在您家的户籍登记里找到" in refused
        wechat(live_stack, openid, "不办了")
    assert applications_for(backoffice_db, stranger) == []


# --- progress ----------------------------------------------------------------------------


def test_progress_shows_own_cases_and_reveals_nothing_about_others(live_stack, verified):
    openid, me = verified("Progress")
    own = file_application(live_stack, me.id_number, openid)
    backoffice_api(live_stack, "POST", f"/assistance/applications/{own}/status", json={"status": "入户调查"})
    other_openid, other = verified("Other")
    theirs_case = file_application(live_stack, other.id_number, other_openid)
    listed = wechat(live_stack, openid, "我的低保申请到哪一步了")
    assert own in listed and "上门了解" in listed and "下一步" in listed
    assert theirs_case not in listed
    theirs = wechat(live_stack, openid, f"我的低保申请 {theirs_case} 到哪一步了")
    nobody = wechat(live_stack, openid, "我的低保申请 JZ2099010199999 到哪一步了")
    assert "没有查到" in theirs and "低保" not in theirs and "曹杨" not in theirs
    assert theirs.replace(theirs_case, "X") == nobody.replace("JZ2099010199999", "X")


def test_progress_needs_a_bound_identity(live_stack):
    answer = say(live_stack, new_sender("unbound"), intent("assistance_progress"))
    assert "先确认是您本人" in answer and "微信公众号" in answer  # the web chat's sender is the page's: never verified


# --- a resident in danger ----------------------------------------------------------------


def test_a_resident_in_danger_inside_the_form_gets_care_a_hotline_and_an_urgent_person(live_stack, platform_db):
    sender = new_sender("danger")
    say(live_stack, sender, intent("assistance_apply", assistance_type="临时救助"))
    answer = say(live_stack, sender, "我老公天天打我，我真的不想活了")
    assert "110" in answer and "962525" in answer and "工作人员" in answer
    assert "身份证" not in answer  # no form question after it
    with Session(platform_db) as sess:
        conv = sess.scalar(select(Conversation).where(Conversation.sender_id == f"web:{sender}"))
        assert (conv.state, conv.handoff_priority) == ("queued", "urgent") and conv.handoff_reason.startswith("danger:")
    assert "身份证" not in say(live_stack, sender, "你在吗")  # now a person answers, not the form


def test_asking_again_how_to_apply_keeps_the_application_going_kindly(live_stack, verified):
    openid, _ = verified("Again")
    first = wechat(live_stack, openid, "低保怎么申请")
    assert "给您本人办，还是替家里人办" in first
    again = wechat(live_stack, openid, "低保怎么申请")
    assert "已经在办了" in again and "没听明白" not in again
    assert "给您本人办，还是替家里人办" in again  # the question, once more
    assert "困难" in wechat(live_stack, openid, "给我自己办")
    wechat(live_stack, openid, "不办了")


# --- nothing lost ------------------------------------------------------------------------


def test_an_application_confirmed_while_the_back_office_is_down_is_submitted_later(
    live_stack, backoffice_process, backoffice_db, platform_db, verified
):
    openid, me = verified("Outbox")
    id_number = me.id_number
    fill_application(live_stack, openid)
    wechat(live_stack, openid, "同意")
    worker = None
    backoffice_process.stop()
    try:
        saved = wechat(live_stack, openid, "对")
        assert "保存好了" in saved and "自动帮您提交" in saved
        with Session(platform_db) as sess:
            conv = sess.scalar(select(Conversation).where(Conversation.sender_id == openid))
            [entry] = sess.scalars(select(OutboxEntry).where(OutboxEntry.conversation_id == conv.id)).all()
            assert entry.status == "pending" and entry.body["applicant"]["id_number"] == id_number
            assert entry.body["submitted_by_openid"] == openid  # what the back-office checks when it is back
            conv_id, entry_id = conv.id, entry.id
            transcript = [m.text for m in sess.scalars(select(Message).where(Message.conversation_id == conv_id))]
            assert not any("outbox" in t for t in transcript)  # the payload itself is not shown or stored
        worker = stack.start_process("worker", live_stack.env, live_stack.log_dir)

        def attempts() -> int:
            with Session(platform_db) as sess:
                return sess.get(OutboxEntry, entry_id).attempts

        wait_for(lambda: attempts() >= 1, 60, "the worker never tried while the back-office was down")
    finally:
        backoffice_process.start()
    try:

        def sent() -> OutboxEntry | None:
            with Session(platform_db) as sess:
                entry = sess.get(OutboxEntry, entry_id)
                return entry if entry.status == "sent" and entry.notified_at else None

        entry = wait_for(sent, 90, "the outbox entry was not submitted after the back-office came back")
    finally:
        stack.stop_process(worker)
    [case] = applications_for(backoffice_db, id_number)
    assert case.idempotency_key == entry_id and entry.result["case_no"] == case.case_no
    with Session(platform_db) as sess:
        notices = sess.scalars(
            select(Message).where(
                Message.conversation_id == conv_id, Message.author == "bot", Message.text.contains(case.case_no)
            )
        ).all()
        pushed = sess.scalars(select(OutboundMessage).where(OutboundMessage.ref == entry_id)).all()
    assert len(notices) == 1 and len(pushed) == 1 and case.case_no in json.dumps(pushed[0].body, ensure_ascii=False)
