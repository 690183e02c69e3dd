"""Issue 22 in the back-office, through its HTTP API on SQLite and PostgreSQL: a year whose holiday arrangement is
not published is offered by the statutory holidays (with a notice); an administrator enters the arrangement and
the appointments on new holidays are flagged; each office's booking window, cut-off, cancellation deadline and
no-show rule."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import chinese_calendar
import pytest
from sqlalchemy import delete
from sqlalchemy.orm import Session

from backoffice.marriage import calendar
from backoffice.marriage.models import (
    MarriageBookingRules,
    MarriageHolidayArrangement,
)
from tests.marriage.conftest import AUTH, Backoffice
from tests.marriage.people import Person, add_appointment, couple, person

OFFICE = "BS-MR-01"
DEFAULTS = {
    "earliest_days_ahead": 1,
    "horizon_days": 30,
    "cutoff": "15:00",
    "cancel_days_before": 1,
    "no_show_limit": 2,
    "no_show_period_days": 30,
    "no_show_ban_days": 15,
}


def booking(parties: tuple[Person, ...], day: date | str, openid: str, start: str = "09:00") -> dict:
    return {
        "openid": openid,
        "office_code": OFFICE,
        "service": "结婚",
        "date": str(day),
        "start": start,
        "parties": [p.as_party() for p in parties],
        "phone": "13912345678",
    }


def first_unpublished_year() -> int:
    """The first year whose arrangement chinese-calendar does not ship."""
    year = calendar.today().year
    while True:
        try:
            chinese_calendar.get_holiday_detail(date(year, 1, 1))
        except NotImplementedError:
            return year
        year += 1


def days(bo: Backoffice, first: date | str, n: int, office: str = OFFICE) -> list[dict]:
    resp = bo.client.get(f"/offices/{office}/availability?from={first}&days={n}", headers=AUTH)
    assert resp.status_code == 200, resp.json
    return resp.json["days"]


def put_rules(bo: Backoffice, office: str = OFFICE, **changes):
    return bo.client.put(
        f"/marriage/offices/{office}/booking-rules",
        json={**DEFAULTS, **changes},
        headers={**AUTH, "X-Editor": "测试管理员"},
    )


@pytest.fixture
def clean(backoffice: Backoffice) -> Iterator[Backoffice]:
    """Every test starts from the default rules and no entered arrangement."""
    yield backoffice
    with Session(backoffice.engine) as sess, sess.begin():
        sess.execute(delete(MarriageBookingRules))
        sess.execute(delete(MarriageHolidayArrangement))


def long_horizon(bo: Backoffice, until: date) -> None:
    """Test data: the office books as far as ``until`` (beyond what the admin form allows, to reach next year
    whatever the date the test runs on)."""
    with Session(bo.engine) as sess, sess.begin():
        sess.merge(
            MarriageBookingRules(office_code=OFFICE, **{**DEFAULTS, "horizon_days": (until - calendar.today()).days})
        )


# --- the statutory holidays ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("year", [2025, 2026])
def test_the_computed_holidays_are_days_the_state_council_gave_off(year):
    """Since the 2024 amendment: every statutory day and its weekday make-up lies within the published arrangement."""
    arrangement = calendar.statutory(year)
    assert [name for _, _, name in arrangement.holidays] == sorted(
        ["元旦", "春节", "清明节", "劳动节", "端午节", "中秋节", "国庆节"],
        key=lambda n: next(f for f, _, m in arrangement.holidays if m == n),
    )
    for first, last, name in arrangement.holidays:
        day = first
        while day <= last:
            assert chinese_calendar.is_holiday(day), (name, day)
            day += timedelta(days=1)
    computed = sum((last - first).days + 1 for first, last, _ in arrangement.holidays)
    assert computed >= 13  # 13 statutory days, and weekends inside the ranges


def test_2027_by_the_statute_alone():
    a = calendar.statutory(2027)
    ranges = {name: (first, last) for first, last, name in a.holidays}
    assert ranges["春节"][0] == date(2027, 2, 5)  # 除夕: the lunar new year is 6 February 2027
    assert ranges["清明节"][0] == date(2027, 4, 5)
    assert ranges["端午节"][0] == date(2027, 6, 9)
    assert ranges["中秋节"][0] == date(2027, 9, 15)
    # 劳动节 falls on Saturday and Sunday: Monday and Tuesday are given instead (article 6).
    assert ranges["劳动节"] == (date(2027, 5, 1), date(2027, 5, 4))
    assert calendar.day_status(date(2027, 5, 4), {}).reason == "法定节假日，登记处不上班"
    assert calendar.day_status(date(2027, 5, 5), {}).open
    assert calendar.day_status(date(2027, 2, 8), {}).reason == "法定节假日，登记处不上班"  # 正月初三
    tuesday = calendar.day_status(date(2027, 1, 5), {})
    assert tuesday.open and "2027年的放假安排国务院还没有公布" in tuesday.notice
    assert calendar.day_status(date(2026, 12, 8), {}).notice == ""  # 2026 is published


# --- an unpublished year, then its arrangement ---------------------------------------------------------------------


def test_an_unpublished_year_is_offered_with_a_notice_and_can_be_booked(clean):
    year = first_unpublished_year()
    long_horizon(clean, date(year, 1, 31))
    january = days(clean, date(year, 1, 1), 31)
    assert january[0]["open"] is False and january[0]["reason"] == "法定节假日，登记处不上班"  # 元旦
    open_days = [d for d in january if d["open"]]
    assert len(open_days) >= 15 and all(f"{year}年的放假安排国务院还没有公布" in d["notice"] for d in open_days)
    assert all(d["notice"] == "" for d in january if not d["open"])
    booked = clean.book(booking(couple(), open_days[0]["date"], "oProvisional"))
    assert booked.status_code == 201, booked.json
    this_year = days(clean, calendar.today() + timedelta(days=1), 10)
    assert all(d["notice"] == "" for d in this_year if date.fromisoformat(d["date"]).year < year)


def test_entering_the_arrangement_flags_the_appointments_on_its_new_holidays(clean):
    year = first_unpublished_year()
    long_horizon(clean, date(year, 3, 31))
    open_days = [d["date"] for d in days(clean, date(year, 2, 1), 59) if d["open"]]
    on_new_holiday, still_open = open_days[0], open_days[1]
    lost = clean.book(booking(couple(), on_new_holiday, "oFlagged1")).json["number"]
    kept = clean.book(booking(couple(), still_open, "oFlagged2")).json["number"]
    saturday = next(date(year, 2, d) for d in range(1, 8) if date(year, 2, d).weekday() == 5)
    arrangement = {
        "holidays": [
            {"name": "元旦", "first": f"{year}-01-01", "last": f"{year}-01-01"},
            {"name": "春节", "first": on_new_holiday, "last": on_new_holiday},
        ],
        "workdays": [saturday.isoformat()],
    }
    saved = clean.client.put(
        f"/marriage/holiday-arrangements/{year}", json=arrangement, headers={**AUTH, "X-Editor": "测试管理员"}
    )
    assert saved.status_code == 200, saved.json
    flagged = {a["number"]: a["flag"] for a in saved.json["flagged"]}
    assert lost in flagged and kept not in flagged
    assert f"{year}年放假安排公布后" in flagged[lost] and "春节" in flagged[lost] and "改约" in flagged[lost]
    overview = clean.client.get("/marriage/holiday-arrangements", headers=AUTH).json
    entered = next(y for y in overview["years"] if y["year"] == year)
    assert entered["source"] == "entered" and entered["entered_by"] == "测试管理员"
    assert entered["workdays"] == [saturday.isoformat()]
    assert lost in {a["number"] for a in overview["flagged"]}
    # The office's days follow the entered arrangement: the new holiday closed, the Saturday worked, no notice.
    february = {d["date"]: d for d in days(clean, date(year, 2, 1), 28)}
    assert february[on_new_holiday]["reason"] == "法定节假日，登记处不上班"
    assert february[saturday.isoformat()]["open"] and february[still_open]["notice"] == ""
    # A correction that gives the day back clears its flag.
    arrangement["holidays"] = arrangement["holidays"][:1]
    corrected = clean.client.put(f"/marriage/holiday-arrangements/{year}", json=arrangement, headers=AUTH)
    assert lost not in {a["number"] for a in corrected.json["flagged"]}


def one_holiday(name: str, first: str, last: str) -> dict:
    return {"holidays": [{"name": name, "first": first, "last": last}]}


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"workdays": ["2099-03-03"]}, "本来就是工作日"),  # a Tuesday
        (one_holiday("春节", "2099-02-10", "2099-02-05"), "比第一天还早"),
        (one_holiday("元旦", "2098-12-31", "2099-01-01"), "不在2099年里"),
        (one_holiday("", "2099-01-01", "2099-01-01"), "节日名称"),
        ({"holidays": []}, "至少要填一段"),
    ],
)
def test_a_wrong_arrangement_is_refused_with_what_to_correct(clean, change, words):
    body = {**one_holiday("元旦", "2099-01-01", "2099-01-01"), "workdays": [], **change}
    resp = clean.client.put("/marriage/holiday-arrangements/2099", json=body, headers=AUTH)
    assert resp.status_code == 422 and resp.json["error"] == "invalid_arrangement" and words in resp.json["message"]


# --- each office's booking rules -----------------------------------------------------------------------------------


def test_rules_are_per_office_and_checked_when_set(clean):
    assert clean.client.get(f"/marriage/offices/{OFFICE}/booking-rules", headers=AUTH).json == DEFAULTS
    saved = put_rules(clean, horizon_days=5)
    assert saved.status_code == 200 and saved.json["horizon_days"] == 5
    assert clean.client.get("/marriage/offices/PT-MR-01/booking-rules", headers=AUTH).json == DEFAULTS
    for bad, words in (({"cutoff": "3点"}, "15:00"), ({"horizon_days": 0}, "1到90"), ({"no_show_limit": "两"}, "整数")):
        resp = put_rules(clean, **bad)
        assert resp.status_code == 422 and resp.json["error"] == "invalid_rules" and words in resp.json["message"]
    window = days(clean, calendar.today(), 10)
    beyond = [d for d in window if date.fromisoformat(d["date"]) > calendar.today() + timedelta(days=5)]
    assert beyond and not any(d["open"] for d in beyond)
    weekday = next(d for d in beyond if "周末" not in d["reason"] and "节假日" not in d["reason"])
    assert weekday["reason"] == "不在可预约的日期范围内"
    resp = clean.book(booking(couple(), weekday["date"], "oHorizon"))
    assert resp.status_code == 422 and resp.json["error"] == "date_out_of_range"


def first_open_day(bo: Backoffice) -> date:
    put_rules(bo, cutoff="23:59", horizon_days=20)
    return date.fromisoformat(next(d["date"] for d in days(bo, calendar.today(), 20) if d["open"]))


def test_the_earliest_day_closes_at_the_cut_off_the_day_before(clean):
    if calendar.now().strftime("%H:%M") >= "23:59":
        pytest.skip("the last minute of the day: no cut-off later than now")
    target = first_open_day(clean)
    ahead = (target - calendar.today()).days
    put_rules(clean, earliest_days_ahead=ahead, cutoff="00:00", horizon_days=20)  # closed since midnight
    day = next(d for d in days(clean, target, 1))
    assert not day["open"] and day["reason"] == "这一天的预约已经在前一天00:00截止了"
    resp = clean.book(booking(couple(), target, "oCutoff"))
    assert resp.status_code == 422 and resp.json["error"] == "booking_closed"
    assert "截止" in resp.json["message"] and "最早可以约" in resp.json["message"]
    put_rules(clean, earliest_days_ahead=ahead, cutoff="23:59", horizon_days=20)
    assert clean.book(booking(couple(), target, "oCutoff")).status_code == 201


def test_cancelling_and_moving_close_at_the_offices_deadline(clean):
    target = first_open_day(clean)
    number = clean.book(booking(couple(), target, "oDeadline")).json["number"]
    put_rules(clean, cancel_days_before=(target - calendar.today()).days + 1, cutoff="23:59", horizon_days=20)
    for path, extra in (("cancel", {}), ("reschedule", {"date": str(target + timedelta(days=7)), "start": "10:00"})):
        resp = clean.client.post(
            f"/marriage/appointments/{number}/{path}", json={"openid": "oDeadline", **extra}, headers=AUTH
        )
        assert resp.status_code == 422 and resp.json["error"] == "change_too_late", resp.json
        assert "021-56602361" in resp.json["message"] and "爽约" in resp.json["message"]
    put_rules(clean, cancel_days_before=0, cutoff="23:59", horizon_days=20)
    resp = clean.client.post(f"/marriage/appointments/{number}/cancel", json={"openid": "oDeadline"}, headers=AUTH)
    assert resp.status_code == 200 and resp.json["status"] == "cancelled"


def past_appointment(bo: Backoffice, someone: Person, days_ago: int, tag: str) -> str:
    """Test data: an appointment on a past day (the back-office never books the past itself)."""
    day = calendar.today() - timedelta(days=days_ago)
    number = f"HYN{days_ago:03d}{tag}{someone.id_number[-5:]}"
    with Session(bo.engine) as sess, sess.begin():
        add_appointment(sess, number, "oPast", day, [someone], office=OFFICE)
    return number


def no_show(bo: Backoffice, number: str):
    return bo.client.post(f"/marriage/appointments/{number}/no-show", headers=AUTH)


def test_two_no_shows_within_30_days_stop_online_booking_for_15_days(clean):
    target = first_open_day(clean)
    absent, spread, served_ban = person("男", 33, "钱多多"), person("男", 34, "孙少平"), person("男", 35, "周大海")
    for someone, ago in ((absent, (20, 5)), (spread, (45, 3)), (served_ban, (30, 20))):
        for n, days_ago in enumerate(ago):
            recorded = no_show(clean, past_appointment(clean, someone, days_ago, str(n)))
            assert recorded.status_code == 200 and recorded.json["status"] == "no_show"
    again = no_show(clean, f"HYN005{1}{absent.id_number[-5:]}")
    assert again.status_code == 200 and again.json["status"] == "no_show"  # twice is once
    refused = clean.book(booking((absent, person("女", 30)), target, "oAbsent"))
    assert refused.status_code == 422 and refused.json["error"] == "no_show_ban"
    message = refused.json["message"]
    for past in (20, 5):
        assert calendar.chinese_date(calendar.today() - timedelta(days=past)) in message
    assert calendar.chinese_date(calendar.today() + timedelta(days=10)) in message and "钱多多" in message
    # 42 days apart is not "within 30 days"; a ban that has run its 15 days is over.
    assert clean.book(booking((spread, person("女", 30)), target, "oSpread")).status_code == 201
    assert clean.book(booking((served_ban, person("女", 30)), target, "oServed")).status_code == 201


def test_only_a_day_that_has_come_and_was_not_cancelled_is_a_no_show(clean):
    target = first_open_day(clean)
    pair = couple()
    number = clean.book(booking(pair, target, "oNotYet")).json["number"]
    resp = no_show(clean, number)
    assert resp.status_code == 422 and resp.json["error"] == "appointment_not_yet"
    clean.client.post(f"/marriage/appointments/{number}/cancel", json={"openid": "oNotYet"}, headers=AUTH)
    assert no_show(clean, number).json["error"] == "appointment_cancelled"
    assert no_show(clean, "HY0").status_code == 404
