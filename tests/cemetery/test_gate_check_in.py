"""核验入园 through the API and the gate-check page, on SQLite and PostgreSQL (tests/cemetery/conftest.py): only an
attendant's code of the booking's cemetery marks a booking valid today used, once; the resident's own link does not;
wrong codes lock the page for a while; a used booking cannot be cancelled or moved; every try is recorded."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from backoffice.cemetery.models import CemeteryBooking, CemeteryGateCheck
from backoffice.marriage.calendar import today
from tests.cemetery.conftest import AUTH, season_days

PT = ("CEM-PT-01-M", ["08:00", "10:00", "12:00", "14:00"])


def booked_today(backoffice, openid: str, day_index: int, companions: int = 1) -> dict:
    """A booking made on a season day through the API, whose day has come (its row moved to today: the test runs on
    any date)."""
    day = season_days()[day_index]
    backoffice.open_day(day)
    backoffice.resident(openid)
    made = backoffice.book(openid, day, PT[0], PT[1][1], companions=companions)
    assert made.status_code == 201, made.json
    with Session(backoffice.engine) as sess, sess.begin():
        sess.execute(update(CemeteryBooking).where(CemeteryBooking.number == made.json["number"]).values(day=today()))
    return made.json


def page_of(booking: dict) -> str:
    return booking["gate_url"].split("localhost", 1)[1]


def issue(backoffice, name: str, cemetery: str = "CEM-PT-01", days: int = 30) -> dict:
    resp = backoffice.client.post(
        f"/cemeteries/{cemetery}/attendants",
        json={"name": name, "valid_until": (today() + timedelta(days=days)).isoformat()},
        headers={**AUTH, "X-Editor": "李主管"},
    )
    assert resp.status_code == 201, resp.json
    assert re.fullmatch(r"\d{8}", resp.json["code"])
    return resp.json


def press(backoffice, booking: dict, code: str):
    resp = backoffice.client.post(page_of(booking), data={"code": code})
    return resp.status_code, resp.get_data(as_text=True)


def checks(backoffice, number: str) -> list[tuple[str, int | None]]:
    with Session(backoffice.engine) as sess:
        booking_id = sess.scalar(select(CemeteryBooking.id).where(CemeteryBooking.number == number))
        rows = sess.scalars(
            select(CemeteryGateCheck).where(CemeteryGateCheck.booking_id == booking_id).order_by(CemeteryGateCheck.id)
        )
        return [(r.outcome, r.attendant_id) for r in rows]


def test_an_attendants_code_marks_a_booking_used_once_and_the_residents_link_alone_cannot(backoffice):
    booking = booked_today(backoffice, "o-gate-used", 0)
    page = backoffice.client.get(page_of(booking)).get_data(as_text=True)
    assert "今天有效" in page and "核验入园" in page and "门岗核验码" in page
    # The resident (or anyone with the link) pressing the button: no code, a guess, another cemetery's code.
    other = issue(backoffice, "罗店门岗", cemetery="CEM-BS-01")
    for guess in ("", "12345678", other["code"]):
        status, html = press(backoffice, booking, guess)
        assert status == 403 and "核验码不对" in html and 'data-state="valid"' in html
    attendant = issue(backoffice, "张师傅")
    status, html = press(backoffice, booking, attendant["code"])
    assert status == 200 and "核验好了，请2位入园" in html and 'data-state="used"' in html and "张师傅" in html
    assert "门岗核验码" not in html  # nothing left to press
    status, html = press(backoffice, booking, attendant["code"])  # scanned a second time
    assert status == 409 and "已经核验过了" in html
    page = backoffice.client.get(page_of(booking)).get_data(as_text=True)
    assert "已核验入园" in page and "不能再次入园" in page and "核验入园</button>" not in page
    with Session(backoffice.engine) as sess:
        row = sess.scalar(select(CemeteryBooking).where(CemeteryBooking.number == booking["number"]))
        assert (row.status, row.used_by, row.used_at.date()) == ("used", "张师傅", today())
        assert f"{row.used_at:%H:%M}" in page
    assert checks(backoffice, booking["number"]) == [
        ("wrong_code", None),
        ("wrong_code", None),
        ("wrong_code", None),
        ("used", attendant["id"]),
        ("already_used", attendant["id"]),
    ]
    # Used: not cancelled, not moved, listed for its day as checked in (with when), no longer as a live booking.
    cancel = backoffice.client.post(
        f"/cemetery/bookings/{booking['number']}/cancel", json={"openid": "o-gate-used"}, headers=AUTH
    )
    assert (cancel.status_code, cancel.json["error"]) == (422, "booking_used")
    assert "已经在门口核验入园了，不能再取消" in cancel.json["message"]
    later = season_days()[1]
    backoffice.open_day(later)
    move = backoffice.client.post(
        f"/cemetery/bookings/{booking['number']}/reschedule",
        json={"openid": "o-gate-used", "date": later.isoformat(), "gate_code": PT[0], "start": PT[1][0]},
        headers=AUTH,
    )
    assert (move.status_code, move.json["error"]) == (422, "booking_used")
    mine = backoffice.mine("o-gate-used")
    assert mine["bookings"] == [] and [b["number"] for b in mine["checked_in"]] == [booking["number"]]
    assert mine["checked_in"][0]["status"] == "used" and f"{row.used_at:%H:%M}" in mine["checked_in"][0]["used_label"]
    with Session(backoffice.engine) as sess, sess.begin():  # the next day it is a past visit, no longer listed
        sess.execute(
            update(CemeteryBooking)
            .where(CemeteryBooking.number == booking["number"])
            .values(day=today() - timedelta(days=1))
        )
    assert backoffice.mine("o-gate-used")["checked_in"] == []


def test_wrong_codes_lock_the_page_for_a_while_and_a_revoked_code_stops_working(backoffice):
    booking = booked_today(backoffice, "o-gate-lock", 2)
    attendant = issue(backoffice, "王师傅")
    for _ in range(5):
        assert press(backoffice, booking, "00000000")[0] == 403
    status, html = press(backoffice, booking, attendant["code"])
    assert status == 429 and "输错太多次" in html and 'data-state="valid"' in html
    with Session(backoffice.engine) as sess, sess.begin():  # a quarter of an hour later
        booking_id = sess.scalar(select(CemeteryBooking.id).where(CemeteryBooking.number == booking["number"]))
        for check in sess.scalars(select(CemeteryGateCheck).where(CemeteryGateCheck.booking_id == booking_id)):
            check.at -= timedelta(minutes=16)
    revoked = backoffice.client.post(f"/cemetery/attendants/{attendant['id']}/revoke", headers=AUTH)
    assert (revoked.status_code, revoked.json["revoked"]) == (200, True)
    listed = backoffice.client.get("/cemeteries/CEM-PT-01/attendants", headers=AUTH).json["attendants"]
    assert attendant["id"] not in [a["id"] for a in listed] and all("code" not in a for a in listed)
    assert press(backoffice, booking, attendant["code"])[0] == 403
    fresh = issue(backoffice, "王师傅（新码）")
    assert press(backoffice, booking, fresh["code"])[0] == 200


def test_a_booking_of_another_day_is_not_checked_in_and_its_page_has_no_button(backoffice):
    day = season_days()[3]
    backoffice.open_day(day)
    backoffice.resident("o-gate-later")
    booking = backoffice.book("o-gate-later", day, PT[0], PT[1][2]).json
    page = backoffice.client.get(page_of(booking)).get_data(as_text=True)
    assert "不是今天" in page and "核验入园</button>" not in page
    status, html = press(backoffice, booking, issue(backoffice, "赵师傅")["code"])
    assert status == 422 and "今天不能入园" in html and 'data-state="not_today"' in html
    expired = backoffice.client.post(
        "/cemeteries/CEM-PT-01/attendants",
        json={"name": "过期", "valid_until": (today() - timedelta(days=1)).isoformat()},
        headers=AUTH,
    )
    assert (expired.status_code, expired.json["error"]) == (422, "invalid_date")


def test_two_attendants_scanning_at_once_check_a_visitor_in_once(backoffice):
    booking = booked_today(backoffice, "o-gate-twice", 4)
    codes = [issue(backoffice, f"门岗{i}")["code"] for i in range(2)]
    app = backoffice.client.application
    answers: list[int] = []

    def scan(code: str) -> None:
        answers.append(app.test_client().post(page_of(booking), data={"code": code}).status_code)

    scans = [threading.Thread(target=scan, args=(codes[i % 2],)) for i in range(8)]
    for thread in scans:
        thread.start()
    for thread in scans:
        thread.join(30)
    assert sorted(answers) == [200] + [409] * 7
    assert sorted(outcome for outcome, _ in checks(backoffice, booking["number"])) == ["already_used"] * 7 + ["used"]
