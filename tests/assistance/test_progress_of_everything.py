"""The general progress question (进度, 申请到哪一步了, 我的申请怎么样了) tells every application the resident
has, of every kind, newest first, or plainly that there is none (actions/applications.py); a question that
names social assistance keeps its own answer. The actions run against the real back-office in-process."""

from __future__ import annotations

import uuid
from datetime import datetime

import pytest
from sqlalchemy.orm import Session

import actions.assistance  # noqa: F401  (registers the actions)
from actions import executor
from actions.tracker import Tracker
from backoffice.assistance.models import Application
from backoffice.benefits.models import BenefitApplication
from backoffice.eldercare.models import EldercareApplication
from tests.benefits_api import ME, me


def ask(text: str, sender: str = ME) -> list[dict]:
    tracker = Tracker.from_dict(
        {
            "sender_id": sender,
            "slots": {},
            "latest_message": {"text": text, "intent": {"name": "assistance_progress"}, "entities": []},
            "events": [{"event": "user", "text": text}],
        }
    )
    return executor.run("action_assistance_progress", tracker, {})["responses"]


def benefit(sess: Session, programme: str, made: datetime, status: str = "受理", reason: str = "") -> str:
    resident = me(sess.get_bind())
    disability = programme.startswith("disability")
    app = BenefitApplication(
        idempotency_key=uuid.uuid4().hex,
        programme=programme,
        subject_key=f"resident:{resident.id}" if disability else f"X{uuid.uuid4().hex[:17]}",
        subject_resident_id=resident.id if disability else None,
        subject_name=resident.name if disability else "王秀英",
        relation="本人" if disability else "母亲",
        required_documents=[],
        district_code=resident.hukou_district_code,
        submitted_by_openid=ME,
        submitted_by_resident_id=resident.id,
        status=status,
        status_reason=reason,
        created_at=made,
        updated_at=made,
    )
    sess.add(app)
    sess.flush()
    app.case_no = f"{'CJ' if disability else 'BZ'}{made:%Y%m%d}{app.id:05d}"
    return app.case_no


def assistance(sess: Session, made: datetime) -> str:
    resident = me(sess.get_bind())
    app = Application(
        idempotency_key=uuid.uuid4().hex,
        type="低保",
        applicant_id_number=resident.id_number,
        applicant_resident_id=resident.id,
        relation="本人",
        phone="13800000000",
        community_code=resident.hukou_community_code,
        hardship="失业，家里没有收入",
        consent_at=made,
        submitted_by_openid=ME,
        submitted_by_resident_id=resident.id,
        channel="wechat",
        created_at=made,
        updated_at=made,
    )
    sess.add(app)
    sess.flush()
    app.case_no = f"JZ{made:%Y%m%d}{app.id:05d}"
    return app.case_no


def eldercare(sess: Session, made: datetime) -> str:
    resident = me(sess.get_bind())
    reference = f"SL{made:%Y%m%d}{uuid.uuid4().hex[:5].upper()}"
    sess.add(
        EldercareApplication(
            reference=reference,
            kind="home_retrofit",
            idempotency_key=uuid.uuid4().hex,
            openid=ME,
            applicant_id=resident.id,
            subject_id=resident.id,
            district_code=resident.hukou_district_code,
            status="surveyed",
            created_at=made,
            updated_at=made,
        )
    )
    return reference


@pytest.mark.parametrize("question", ["进度", "申请到哪一步了", "我的申请怎么样了"])
def test_a_funeral_case_alone_is_told_not_that_there_is_no_application(actions_backoffice, question):
    _client, engine = actions_backoffice
    with Session(engine) as sess, sess.begin():
        case_no = benefit(sess, "eco_burial", datetime(2026, 12, 1, 9, 30))
    (answer,) = ask(question)
    text = answer["text"] or ""
    assert "还没有" not in text and answer["response"] is None
    assert case_no in text and "2026年12月1日申请的生态安葬补贴（您母亲的，编号" in text
    assert "申请已受理" in text and "下一步：" in text


def test_every_kind_is_told_newest_first_each_in_one_line(actions_backoffice):
    _client, engine = actions_backoffice
    with Session(engine) as sess, sess.begin():
        made = [
            assistance(sess, datetime(2026, 10, 8, 10, 0)),
            benefit(sess, "disability_care", datetime(2026, 11, 2, 15, 0), "退回", "残疾证照片看不清"),
            eldercare(sess, datetime(2026, 11, 20, 8, 0)),
            benefit(sess, "funeral_waiver", datetime(2026, 12, 3, 11, 0)),
        ]
    (answer,) = ask("我的申请怎么样了")
    lines = answer["text"].splitlines()
    assert lines[0] == "帮您查到了，您名下有4份申请，最新的在前面："
    told = lines[1:5]
    assert [next(n for n in made if n in line) for line in told] == made[::-1]  # newest first
    assert told[0].startswith("1. 2026年12月3日申请的基本殡葬服务费减免（您母亲的，编号 BZ")
    assert told[1].startswith("2. 2026年11月20日申请的适老化改造（编号 SL") and "正在定改造方案" in told[1]
    assert "重度残疾人护理补贴" in told[2] and "原因：残疾证照片看不清。" in told[2]
    assert told[3].startswith("4. 2026年10月8日申请的低保（编号 JZ")
    assert "基本殡葬服务费减免进度" in lines[-1]


def test_none_of_any_kind_is_said_plainly(actions_backoffice):
    (answer,) = ask("申请到哪一步了")
    assert answer["text"].startswith("查过了，您名下还没有任何申请。")


def test_naming_assistance_keeps_its_own_answer(actions_backoffice):
    _client, engine = actions_backoffice
    with Session(engine) as sess, sess.begin():
        benefit(sess, "eco_burial", datetime(2026, 12, 1, 9, 30))
    (answer,) = ask("我的低保申请到哪一步了")
    assert answer["response"] == "utter_assistance_progress_none"


def test_an_unverified_sender_is_asked_to_verify(actions_backoffice):
    (answer,) = ask("进度", sender="o-not-bound-" + uuid.uuid4().hex[:8])
    assert answer["custom"]["identity"]["resume"] == "/assistance_progress"
