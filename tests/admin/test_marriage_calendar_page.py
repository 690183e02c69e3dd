"""`/admin/marriage/` against a real back-office (served on a loopback port): an administrator enters a year's
holiday arrangement, the appointments on its new holidays are listed for staff and can be cancelled for the
office; the offices' booking rules; a no-show. Every change is audited with who made it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from backoffice.marriage import calendar
from backoffice.marriage.models import MarriageAppointment, MarriageHolidayArrangement
from common import settings
from common.db import make_engine
from tests.admin.conftest import sign_in, web_app
from tests.conftest import seeded_backoffice
from tests.marriage.people import add_appointment, person
from tests.marriage.test_calendar_and_office_rules import first_unpublished_year
from tests.serving import served
from web.admin.audit import AuditEntry

TOKEN = "marriage-admin-token"


@pytest.fixture
def bo_url(tmp_path_factory) -> str:
    return seeded_backoffice(tmp_path_factory, "marriage_admin")


@pytest.fixture
def bo(bo_url) -> Iterator[sessionmaker]:
    engine = make_engine(bo_url)
    yield sessionmaker(engine, expire_on_commit=False)
    engine.dispose()


@pytest.fixture
def app(db_url, sessions, redis_client, redis_url, bo_url, monkeypatch) -> Iterator:
    from backoffice.app import create_app as backoffice_app

    monkeypatch.setenv("BACKOFFICE_DATABASE_URL", bo_url)
    monkeypatch.setenv("BACKOFFICE_TOKEN", TOKEN)
    real_backoffice = backoffice_app(settings.load())
    with served(real_backoffice) as backoffice_url:
        flask_app = web_app(sessions, db_url, redis_url, backoffice_url, bo_url, backoffice_token=TOKEN)
        yield flask_app
        flask_app.extensions["database"].engine.dispose()
    real_backoffice.extensions["database"].engine.dispose()


@pytest.fixture
def boss(app):
    return sign_in(app, "boss")


def appointment_on(bo: sessionmaker, day: date, tag: str, number: str | None = None) -> str:
    """Test data: a booked appointment on ``day`` (booking a day of a coming year, or a past one, through the API
    depends on the date the test runs)."""
    someone = person("男", 31, "吴立新")
    number = number or f"HYA{tag.upper()}{someone.id_number[-6:]}"
    with bo.begin() as sess:
        add_appointment(sess, number, f"o{tag}", day, [someone])
    return number


def audited(sessions: sessionmaker, action: str) -> list[AuditEntry]:
    with Session(sessions.kw["bind"]) as sess:
        return list(sess.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_entering_the_published_arrangement_lists_the_appointments_on_its_holidays(boss, bo, sessions):
    year = first_unpublished_year()
    if year > calendar.today().year + 1:
        pytest.skip("the page shows this year and the next; every one of them is published")
    client, token = boss
    page = client.get("/admin/marriage/").get_data(as_text=True)
    assert f"{year}年放假安排：还没有公布" in page
    spring = next(f for f, _, n in calendar.statutory(year).holidays if n == "春节")
    assert f"春节 {spring.isoformat()}" in page  # the computed ranges, ready to be corrected
    assert "要联系的预约（0）" in page
    after_festival = next(
        d for d in (date(year, 2, 15) + timedelta(days=i) for i in range(20)) if calendar.day_status(d, {}).open
    )
    lost = appointment_on(bo, after_festival, "lost")
    kept = appointment_on(bo, after_festival + timedelta(days=7), "kept")
    saturday = next(d for d in (date(year, 1, 2) + timedelta(days=i) for i in range(7)) if d.weekday() == 5)
    holidays = f"元旦 {year}-01-01\n春节 {spring.isoformat()} {after_festival.isoformat()}\n"
    resp = client.post(
        f"/admin/marriage/holidays/{year}",
        data={"csrf_token": token, "holidays": holidays, "workdays": saturday.isoformat()},
        follow_redirects=True,
    )
    text = resp.get_data(as_text=True)
    assert resp.status_code == 200 and f"{year}年的放假安排已保存" in text and "有 1 个预约落在放假的日子" in text
    assert "要联系的预约（1）" in text and lost in text and kept not in text and "是春节假期" in text
    assert f"{year}年放假安排：已录入国务院通知" in text and "boss 录入" in text
    with bo() as sess:
        row = sess.get(MarriageHolidayArrangement, year)
        assert row.entered_by == "boss" and row.workdays == [saturday.isoformat()]
    (entry,) = audited(sessions, "marriage_holidays")
    assert entry.detail == {"year": year, "holidays": 2, "workdays": 1, "flagged": 1} and entry.agent_id is not None
    # Staff could not move it: cancelled for the office, the resident is told, the list is empty.
    cancelled = client.post(
        "/admin/marriage/cancel",
        data={"csrf_token": token, "number": lost, "reason": "国务院放假安排公布后，这一天登记处放假"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert f"已取消 {lost}" in cancelled and "要联系的预约（0）" in cancelled
    with bo() as sess:
        assert sess.scalar(select(MarriageAppointment.status).where(MarriageAppointment.number == lost)) == "cancelled"
    assert [e.detail["appointment"] for e in audited(sessions, "marriage_office_cancel")] == [lost]


def test_a_wrong_arrangement_is_not_saved_and_the_page_says_what_to_correct(boss, bo, sessions):
    client, token = boss
    year = calendar.today().year + 1
    unreadable = client.post(
        f"/admin/marriage/holidays/{year}",
        data={"csrf_token": token, "holidays": "春节放七天", "workdays": ""},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "这几行没看懂" in unreadable and "春节放七天" in unreadable
    tuesday = next(d for d in (date(year, 3, 1) + timedelta(days=i) for i in range(7)) if d.weekday() == 1)
    weekday_worked = client.post(
        f"/admin/marriage/holidays/{year}",
        data={"csrf_token": token, "holidays": f"元旦 {year}-01-01", "workdays": tuesday.isoformat()},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "本来就是工作日" in weekday_worked  # the back-office's words
    with bo() as sess:
        assert sess.get(MarriageHolidayArrangement, year) is None
    assert audited(sessions, "marriage_holidays") == []


def test_an_offices_booking_rules_are_set_on_the_page(boss, bo, sessions):
    client, token = boss
    page = client.get("/admin/marriage/").get_data(as_text=True)
    assert 'data-office="BS-MR-01"' in page and 'name="cutoff" value="15:00"' in page
    rules = {
        "earliest_days_ahead": "2",
        "cutoff": "16:30",
        "horizon_days": "45",
        "cancel_days_before": "2",
        "no_show_limit": "3",
        "no_show_period_days": "60",
        "no_show_ban_days": "30",
    }
    saved = client.post(
        "/admin/marriage/rules/BS-MR-01", data={"csrf_token": token, **rules}, follow_redirects=True
    ).get_data(as_text=True)
    assert "预约规则已保存" in saved and 'name="cutoff" value="16:30"' in saved
    refused = client.post(
        "/admin/marriage/rules/BS-MR-02",
        data={"csrf_token": token, **rules, "horizon_days": "400"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "要在1到90之间" in refused
    (entry,) = audited(sessions, "marriage_booking_rules")
    assert entry.detail["office"] == "BS-MR-01" and entry.detail["cutoff"] == "16:30"


def test_a_no_show_is_recorded_for_a_day_that_has_come(boss, bo, sessions):
    client, token = boss
    past = appointment_on(bo, calendar.today() - timedelta(days=1), "past")
    future = appointment_on(bo, calendar.today() + timedelta(days=3), "future")
    done = client.post(
        "/admin/marriage/no-show", data={"csrf_token": token, "number": past}, follow_redirects=True
    ).get_data(as_text=True)
    assert f"已记下 {past} 爽约" in done
    not_yet = client.post(
        "/admin/marriage/no-show", data={"csrf_token": token, "number": future}, follow_redirects=True
    ).get_data(as_text=True)
    assert "预约的日子还没到" in not_yet
    with bo() as sess:
        assert sess.scalar(select(MarriageAppointment.status).where(MarriageAppointment.number == past)) == "no_show"
        assert sess.scalar(select(MarriageAppointment.status).where(MarriageAppointment.number == future)) == "booked"
    assert [e.detail["appointment"] for e in audited(sessions, "marriage_no_show")] == [past]
