"""惠民殡葬 through the real stack: web or WeChat → Rasa → actions → back-office. Applying is a verified
resident's: those tests talk over WeChat as residents who signed in through the identity provider's pages."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice.benefits.models import BenefitApplication
from common.masking import id_check_char, mask_id_number
from tests.assistance.test_conversations import new_sender, say
from tests.eldercare.chat import wechat

pytestmark = pytest.mark.stack


def deceased_id() -> str:
    first17 = f"310107193805{uuid.uuid4().int % 28 + 1:02d}{uuid.uuid4().int % 900 + 100:03d}"
    return first17 + id_check_char(first17)


def test_the_precheck_tells_who_qualifies_how_much_and_what_to_bring(live_stack):
    sender = new_sender("web-funeral")
    first = say(live_stack, sender, "我爸刚走 帮我算算丧葬费能减多少")
    assert "请节哀" in first and "户口在哪个区" in first
    assert "低保" in say(live_stack, sender, "普陀区")
    assert "怎么安葬" in say(live_stack, sender, "我们家是低保")
    answer = say(live_stack, sender, "海葬")
    assert "基本殡葬服务费减免" in answer and "1330元" in answer
    assert "生态安葬补贴" in answer and "2000元" in answer
    assert "死亡证明" in answer and "火化证明" in answer and "依据" in answer


def test_an_ordinary_household_outside_the_groups_is_told_why_there_is_no_waiver(live_stack):
    sender = new_sender("web-funeral")
    say(live_stack, sender, "帮我看看我们家能不能减免殡葬费")
    say(live_stack, sender, "宝山")
    say(live_stack, sender, "都不是")
    answer = say(live_stack, sender, "买了公墓")
    assert "不减免" in answer and "不算生态安葬" in answer and "帮我申请" not in answer


def test_an_unverified_resident_is_asked_to_verify_before_any_question(live_stack):
    openid = "oFuneralAnon" + uuid.uuid4().hex[:8]
    asked = wechat(live_stack, openid, "帮我申请海葬补贴")
    assert "先确认是您本人" in asked and "/identity/bind/" in asked
    assert "户口在哪个区" not in asked


def test_a_verified_resident_applies_for_the_eco_burial_subsidy(live_stack, backoffice_db, verified):
    openid, _me = verified("Funeral")
    id_number = deceased_id()
    first = wechat(live_stack, openid, "我妈已经海葬了 帮我申请补贴")
    assert "请节哀" in first and "户口在哪个区" in first  # the kind and the way of burial were in the message
    assert "叫什么名字" in wechat(live_stack, openid, "普陀区")
    assert "身份证号码" in wechat(live_stack, openid, "王秀英")
    assert "哪一天去世" in wechat(live_stack, openid, id_number)
    assert "什么人" in wechat(live_stack, openid, "前天")
    read_back = wechat(live_stack, openid, "我妈")
    assert "生态安葬补贴" in read_back and "约2000元" in read_back and mask_id_number(id_number) in read_back
    assert id_number not in read_back
    done = wechat(live_stack, openid, "对")
    assert "编号是 BZ" in done and "死亡证明" in done and "生态安葬证明" in done
    with Session(backoffice_db) as sess:
        [case] = sess.scalars(select(BenefitApplication).where(BenefitApplication.subject_key == id_number)).all()
        assert (case.programme, case.submitted_by_openid, case.relation) == ("eco_burial", openid, "母亲")
        assert case.estimate["amount"] == 2000 and "eco_burial_certificate" in case.required_documents
    progress = wechat(live_stack, openid, "海葬补贴批下来没有")
    assert case.case_no in progress and "申请已受理" in progress


def test_an_application_the_rules_refuse_ends_early_with_the_reason(live_stack, backoffice_db, verified):
    openid, _me = verified("FuneralNo")
    wechat(live_stack, openid, "帮我申请殡葬费用减免")
    wechat(live_stack, openid, "宝山区")
    refused = wechat(live_stack, openid, "都不是")
    assert "不减免" in refused and "叫什么名字" not in refused
    with Session(backoffice_db) as sess:
        assert not sess.scalars(
            select(BenefitApplication).where(BenefitApplication.submitted_by_openid == openid)
        ).all()
