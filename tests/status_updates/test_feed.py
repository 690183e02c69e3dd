"""The back-office's change feed (backoffice/changes/): what is published, to whom, once, and in commit order.

In-process back-office on SQLite and PostgreSQL; the ordering under concurrent writers on PostgreSQL."""

from __future__ import annotations

import threading
import time
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from backoffice.changes import feed
from backoffice.changes.models import Change
from backoffice.eldercare.models import EldercareApplication
from backoffice.marriage.models import MarriageAppointment, MarriageParty, Office
from backoffice.residents.models import Resident, WechatBinding
from backoffice.seed.load import DEMO_OPENIDS, seed
from common.db import make_engine
from common.migrate import upgrade
from tests.conftest import backoffice_test_client

TOKEN = "changes-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
OPENID = DEMO_OPENIDS[0]


@pytest.fixture
def backoffice(db_url, monkeypatch):
    upgrade("backoffice", db_url)
    engine = make_engine(db_url)
    seed(engine)
    yield backoffice_test_client(db_url, TOKEN, monkeypatch), engine
    engine.dispose()


def resident_of(engine, openid: str = OPENID) -> Resident:
    with Session(engine) as sess:
        resident = sess.get(Resident, sess.get(WechatBinding, openid).resident_id)
        sess.expunge(resident)
        return resident


def apply_for_assistance(client, engine, key: str = "feed-1") -> str:
    body = {
        "type": "低保",
        "applicant": {"id_number": resident_of(engine).id_number, "relation": "本人", "phone": "13912345678"},
        "community": "曹杨一村",
        "hardship": "老伴去世，没有收入",
        "consent": {"economic_check": True},
        "submitted_by_openid": OPENID,
        "channel": "wechat",
    }
    resp = client.post("/assistance/applications", json=body, headers={**AUTH, "Idempotency-Key": key})
    assert resp.status_code == 201, resp.json
    return resp.json["case_no"]


def move(client, case_no: str, status: str, reason: str = "") -> None:
    resp = client.post(
        f"/assistance/applications/{case_no}/status", json={"status": status, "reason": reason}, headers=AUTH
    )
    assert resp.status_code == 200, resp.json


def read(client, after: int = 0, limit: int = 100) -> dict:
    resp = client.get(f"/changes?after={after}&limit={limit}", headers=AUTH)
    assert resp.status_code == 200, resp.json
    return resp.json


def test_each_review_step_is_published_to_the_sender_who_applied_and_read_with_a_cursor(backoffice):
    client, engine = backoffice
    case_no = apply_for_assistance(client, engine)
    assert read(client)["changes"] == []  # applying is answered in the chat; the feed carries what comes after
    move(client, case_no, "入户调查")
    move(client, case_no, "经济状况核对")
    first = read(client, limit=1)
    [change] = first["changes"]
    assert (change["domain"], change["kind"], change["ref"], change["recipient"], change["status"]) == (
        "assistance",
        "status",
        case_no,
        OPENID,
        "入户调查",
    )
    assert change["data"]["what"] == "低保申请" and change["data"]["status_text"]
    rest = read(client, after=first["last"])
    assert [c["status"] for c in rest["changes"]] == ["经济状况核对"]
    assert read(client, after=rest["last"]) == {"changes": [], "last": rest["last"]}
    move(client, case_no, "不予批准", "家庭收入超过标准")
    [refused] = read(client, after=rest["last"])["changes"]
    assert refused["data"]["reason"] == "家庭收入超过标准"


def test_a_change_read_more_than_a_week_ago_is_forgotten_with_its_openid(backoffice):
    client, engine = backoffice
    case_no = apply_for_assistance(client, engine)
    move(client, case_no, "入户调查")
    move(client, case_no, "经济状况核对")
    first, second = read(client)["changes"]
    with Session(engine) as sess:  # both published eight days ago
        for change in sess.scalars(select(Change)):
            change.at -= timedelta(days=8)
        sess.commit()
    assert [c["id"] for c in read(client, after=first["id"])["changes"]] == [second["id"]]  # read up to the first
    with Session(engine) as sess:
        assert [c.id for c in sess.scalars(select(Change))] == [second["id"]]  # the first forgotten, not the unread
    move(client, case_no, "不予批准", "家庭收入超过标准")
    assert [c["status"] for c in read(client, after=second["id"])["changes"]] == ["不予批准"]  # the cursor skips none


def test_a_sender_no_longer_bound_is_told_nothing(backoffice):
    client, engine = backoffice
    case_no = apply_for_assistance(client, engine)
    with Session(engine) as sess:
        sess.execute(delete(WechatBinding).where(WechatBinding.openid == OPENID))  # 解除绑定
        sess.commit()
    move(client, case_no, "入户调查")
    assert read(client)["changes"] == []


def test_the_feed_needs_the_token_and_numbers(backoffice):
    client, _ = backoffice
    assert client.get("/changes").status_code == 401
    assert client.get("/changes?after=x", headers=AUTH).status_code == 400


def test_an_eldercare_step_is_published(backoffice):
    client, engine = backoffice
    resident = resident_of(engine)
    now = datetime(2026, 12, 1, 9, 0)
    with Session(engine) as sess:
        sess.add(
            EldercareApplication(
                reference="CH2026120100001",
                kind="ltc_assessment",
                idempotency_key="feed-e1",
                openid=OPENID,
                applicant_id=resident.id,
                subject_id=resident.id,
                district_code=resident.hukou_district_code,
                status="submitted",
                history=[],
                created_at=now,
                updated_at=now,
            )
        )
        sess.commit()
    resp = client.post("/eldercare/applications/CH2026120100001/status", json={"status": "scheduled"}, headers=AUTH)
    assert resp.status_code == 200, resp.json
    [change] = read(client)["changes"]
    assert (change["domain"], change["ref"], change["recipient"], change["data"]["status_text"]) == (
        "eldercare",
        "CH2026120100001",
        OPENID,
        "已约好上门评估",
    )
    resp = client.post(
        "/eldercare/applications/CH2026120100001/status", json={"status": "assessed", "level": 3}, headers=AUTH
    )
    assert resp.status_code == 200, resp.json
    assessed = read(client, after=change["id"])["changes"][0]
    assert assessed["data"]["status_text"] == "评估已完成，评定的照护等级是3级"


def appointment(engine, day: date, openid: str = OPENID) -> str:
    resident = resident_of(engine)
    with Session(engine) as sess:
        office = sess.scalars(select(Office).order_by(Office.code)).first()
        a = MarriageAppointment(
            number=f"HY{day:%y%m%d}{day.day:05d}",
            openid=openid,
            office_code=office.code,
            service="补领",
            day=day,
            start="09:00",
            end="10:00",
            phone="13912345678",
        )
        a.parties.append(
            MarriageParty(position=1, name=resident.name, id_number=resident.id_number, service_key="补领", day=day)
        )
        sess.add(a)
        sess.commit()
        return a.number


def test_the_day_before_reminder_is_published_once_per_appointment_and_day(backoffice):
    client, engine = backoffice
    day = date.today() + timedelta(days=20)
    number = appointment(engine, day)
    eve = datetime.combine(day - timedelta(days=1), feed.REMINDER_FROM)
    with Session(engine) as sess:
        assert feed.remind_tomorrow(sess, eve - timedelta(minutes=1)) == 0  # too early in the day
        feed.remind_tomorrow(sess, eve)
        feed.remind_tomorrow(sess, eve + timedelta(hours=3))
        sess.commit()
        [reminder] = sess.scalars(select(Change)).all()
    assert (reminder.kind, reminder.ref, reminder.recipient) == ("reminder", number, OPENID)
    assert reminder.data["start"] == "09:00" and reminder.data["what"] == "补领登记"
    with Session(engine) as sess:  # moved to the day after: reminded of the new day too
        a = sess.scalar(select(MarriageAppointment).where(MarriageAppointment.number == number))
        a.day = day + timedelta(days=1)
        sess.commit()
        feed.remind_tomorrow(sess, eve + timedelta(days=1))
        feed.remind_tomorrow(sess, eve + timedelta(days=1, hours=1))
        sess.commit()
        assert len(sess.scalars(select(Change)).all()) == 2


def test_an_appointment_cancelled_by_the_office_is_published_with_the_reason(backoffice):
    client, engine = backoffice
    number = appointment(engine, date.today() + timedelta(days=10))
    refused = client.post(f"/marriage/appointments/{number}/office-cancel", json={"reason": ""}, headers=AUTH)
    assert refused.status_code == 422
    for _ in range(2):  # cancelling twice is once
        resp = client.post(
            f"/marriage/appointments/{number}/office-cancel", json={"reason": "系统升级停办"}, headers=AUTH
        )
        assert resp.status_code == 200 and resp.json["status"] == "cancelled"
    [change] = read(client)["changes"]
    assert (change["kind"], change["ref"], change["data"]["reason"]) == ("cancelled", number, "系统升级停办")


def test_ids_become_visible_in_commit_order_under_concurrent_writers(postgres):
    url = postgres.create("civic_feed_order")
    upgrade("backoffice", url)
    engine = make_engine(url)

    def one(sess: Session, ref: str) -> None:
        feed.publish(sess, domain="assistance", kind="status", ref=ref, recipient="oX", status="入户调查")

    first = Session(engine)
    one(first, "A")  # holds the feed's lock until it commits
    done = threading.Event()

    def second() -> None:
        with Session(engine) as sess:
            one(sess, "B")
            sess.commit()
        done.set()

    thread = threading.Thread(target=second)
    thread.start()
    time.sleep(0.5)
    assert not done.is_set(), "the second writer did not wait for the first one's commit"
    first.commit()
    first.close()
    thread.join(10)
    with Session(engine) as sess:
        assert [c.ref for c in sess.scalars(select(Change).order_by(Change.id))] == ["A", "B"]
    engine.dispose()
