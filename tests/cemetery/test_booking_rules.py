"""The cemetery booking rules through the back-office API, on SQLite and PostgreSQL (tests/cemetery/conftest.py)."""

from __future__ import annotations

from datetime import timedelta

from backoffice.cemetery import schedule
from backoffice.marriage.calendar import chinese_date, today
from tests.cemetery.conftest import AUTH, season_days

PT = ("CEM-PT-01-M", ["08:00", "10:00", "12:00", "14:00"])  # the columbarium's one gate and its slots


def test_a_season_day_opens_at_the_announced_time_and_other_days_need_no_booking(backoffice):
    day = season_days()[-1]
    listed = backoffice.client.get("/cemeteries", headers=AUTH).json["cemeteries"]
    assert {c["code"] for c in listed} >= {"CEM-BS-01", "CEM-BS-02", "CEM-PT-01"}
    backoffice.resident("o-cem-open")
    backoffice.client.put(f"/cemetery/openings/{day}", json={"opens_at": "2099-01-01T10:00"}, headers=AUTH)
    refused = backoffice.book("o-cem-open", day, PT[0], PT[1][0])
    assert (refused.status_code, refused.json["error"]) == (422, "not_open_yet")
    assert "2099" not in refused.json["message"] and "10:00开始预约" in refused.json["message"]
    shown = backoffice.client.get("/cemeteries/CEM-PT-01/availability", headers=AUTH).json
    row = next(d for d in shown["days"] if d["date"] == day.isoformat())
    assert (row["open"], row["slots"]) == (False, [])
    plain = schedule.upcoming(today()).first - timedelta(days=3)
    if plain > today():
        other = backoffice.book("o-cem-open", plain, PT[0], PT[1][0])
        assert (other.status_code, other.json["error"]) == (422, "no_booking_needed")
        assert "不用预约" in other.json["message"]


def test_only_a_verified_resident_books_and_the_gate_sees_a_masked_name(backoffice):
    day = season_days()[0]
    backoffice.open_day(day)
    unverified = backoffice.book("o-cem-nobody", day, PT[0], PT[1][0])
    assert (unverified.status_code, unverified.json["error"]) == (403, "not_bound")
    someone = backoffice.resident("o-cem-gate")
    made = backoffice.book("o-cem-gate", day, PT[0], PT[1][0], companions=2, key="k-gate")
    assert made.status_code == 201, made.json
    assert (made.json["people"], made.json["date_label"]) == (3, chinese_date(day))
    assert someone.id_number not in made.get_data(as_text=True)
    again = backoffice.book("o-cem-gate", day, PT[0], PT[1][0], companions=2, key="k-gate")
    assert (again.status_code, again.headers.get("Idempotent-Replayed")) == (201, "true")
    assert again.json["number"] == made.json["number"]
    page = backoffice.client.get(made.json["gate_url"].split("localhost", 1)[1])  # no token: the attendant's phone
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and made.json["number"] in html and "王**" in html and "王秀兰" not in html
    assert "不是今天" in html and someone.id_number not in html
    forged = backoffice.client.get("/cemetery/gate/" + made.json["number"])
    assert forged.status_code == 404 and "无效" in forged.get_data(as_text=True)


def test_one_booking_per_person_and_day_and_the_companion_limit(backoffice):
    day = season_days()[1]
    backoffice.open_day(day)
    backoffice.resident("o-cem-twice")
    assert backoffice.book("o-cem-twice", day, PT[0], PT[1][0]).status_code == 201
    second = backoffice.book("o-cem-twice", day, PT[0], PT[1][1])
    assert (second.status_code, second.json["error"]) == (409, "already_booked")
    too_many = backoffice.book("o-cem-twice", season_days()[2], PT[0], PT[1][0], companions=9)
    assert (too_many.status_code, too_many.json["error"]) == (422, "too_many_companions")
    assert "最多可以带3位" in too_many.json["message"]


def test_a_full_day_offers_the_waiting_list_which_fills_cancelled_places_in_order(backoffice):
    day = season_days()[3]
    backoffice.open_day(day)
    backoffice.shrink("CEM-PT-01", day, 2)
    holders = [f"o-cem-full-{i}" for i in range(4)]
    for openid, start in zip(holders, PT[1], strict=True):
        backoffice.resident(openid)
        assert backoffice.book(openid, day, PT[0], start, companions=1).status_code == 201
    late = [f"o-cem-late-{i}" for i in range(3)]
    for openid in late:
        backoffice.resident(openid)
    full = backoffice.book(late[0], day, PT[0], PT[1][0])
    assert (full.status_code, full.json["error"]) == (409, "slot_full")
    shown = backoffice.client.get(f"/cemeteries/CEM-PT-01/availability?from={day}", headers=AUTH).json
    assert next(d for d in shown["days"] if d["date"] == day.isoformat())["free"] == 0
    joined = []
    for openid, companions in zip(late, (1, 0, 0), strict=True):
        resp = backoffice.client.post(
            "/cemetery/waitlist",
            json={"openid": openid, "cemetery_code": "CEM-PT-01", "date": day.isoformat(), "companions": companions},
            headers=AUTH,
        )
        assert resp.status_code == 201, resp.json
        joined.append(resp.json)
    assert [w["position"] for w in joined] == [1, 2, 3]
    first = backoffice.mine(holders[0])["bookings"][0]
    cancelled = backoffice.client.post(
        f"/cemetery/bookings/{first['number']}/cancel", json={"openid": holders[0]}, headers=AUTH
    )
    assert (cancelled.status_code, cancelled.json["status"]) == (200, "cancelled")
    promoted = backoffice.mine(late[0])
    assert promoted["waiting"] == [] and promoted["bookings"][0]["from_waitlist"] is True
    assert (promoted["bookings"][0]["start"], promoted["bookings"][0]["people"]) == (PT[1][0], 2)
    still = backoffice.mine(late[1])["waiting"]
    assert [(w["status"], w["position"]) for w in still] == [("waiting", 1)]


def test_a_booking_moves_and_its_old_places_go_to_the_waiting_list(backoffice):
    day, later = season_days()[4], season_days()[5]
    backoffice.open_day(day)
    backoffice.open_day(later)
    backoffice.shrink("CEM-PT-01", day, 1)
    movers = [f"o-cem-move-{i}" for i in range(4)]
    for openid, start in zip(movers, PT[1], strict=True):
        backoffice.resident(openid)
        assert backoffice.book(openid, day, PT[0], start).status_code == 201
    backoffice.resident("o-cem-wait")
    assert (
        backoffice.client.post(
            "/cemetery/waitlist",
            json={"openid": "o-cem-wait", "cemetery_code": "CEM-PT-01", "date": day.isoformat()},
            headers=AUTH,
        ).status_code
        == 201
    )
    number = backoffice.mine(movers[2])["bookings"][0]["number"]
    moved = backoffice.client.post(
        f"/cemetery/bookings/{number}/reschedule",
        json={"openid": movers[2], "date": later.isoformat(), "gate_code": PT[0], "start": PT[1][0]},
        headers=AUTH,
    )
    assert (moved.status_code, moved.json["number"], moved.json["date"]) == (200, number, later.isoformat())
    got = backoffice.mine("o-cem-wait")["bookings"]
    assert [(b["date"], b["start"]) for b in got] == [(day.isoformat(), PT[1][2])]
    other = backoffice.client.get(f"/cemetery/bookings/{number}?openid=o-cem-wait", headers=AUTH)
    assert (other.status_code, other.json["error"]) == (404, "booking_not_found")
