"""Staff's plan of a season through the API, on SQLite and PostgreSQL (tests/cemetery/conftest.py): each day's
opening (announced, by whom), each slot's capacity for a day or several, never below what is booked, and new places
going to the waiting list at once."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice.changes.models import Change
from backoffice.marriage.calendar import chinese_date
from tests.cemetery.conftest import AUTH, season_days

PT = ("CEM-PT-01-M", ["08:00", "10:00", "12:00", "14:00"])
STAFF = {**AUTH, "X-Editor": "李主管"}


def plan(backoffice, first=None) -> dict:
    query = f"?from={first}" if first else ""
    resp = backoffice.client.get(f"/cemeteries/CEM-PT-01/plan{query}", headers=AUTH)
    assert resp.status_code == 200, resp.json
    return resp.json


def slot_on(shown: dict, day, start: str) -> dict:
    row = next(d for d in shown["days"] if d["date"] == day.isoformat())
    return next(s for s in row["slots"] if s["gate_code"] == PT[0] and s["start"] == start)


def set_capacity(backoffice, days, start: str, capacity: int):
    return backoffice.client.put(
        f"/cemetery/gates/{PT[0]}/capacity",
        json={"start": start, "capacity": capacity, "dates": [d.isoformat() for d in days]},
        headers=STAFF,
    )


def test_the_plan_shows_every_season_day_with_its_opening_and_who_announced_it(backoffice):
    day = season_days()[0]
    shown = plan(backoffice)
    assert [d["date"] for d in shown["days"]][0] == shown["season"]["first"]
    row = next(d for d in shown["days"] if d["date"] == day.isoformat())
    assert row["announced_by"] == "" and row["label"] == chinese_date(day)
    assert [(s["start"], s["capacity"], s["booked"]) for s in row["slots"]] == [
        ("08:00", 40, 0),
        ("10:00", 40, 0),
        ("12:00", 30, 0),
        ("14:00", 30, 0),
    ]
    resp = backoffice.client.put(f"/cemetery/openings/{day}", json={"opens_at": "2020-01-01T09:30"}, headers=STAFF)
    assert resp.status_code == 200, resp.json
    row = next(d for d in plan(backoffice)["days"] if d["date"] == day.isoformat())
    assert (row["opens_at"], row["announced_by"]) == ("2020-01-01T09:30", "李主管")


def test_a_capacity_is_changed_for_one_day_or_several_but_never_below_what_is_booked(backoffice):
    first, second = season_days()[1], season_days()[2]
    backoffice.open_day(first)
    backoffice.resident("o-plan-booked")
    assert backoffice.book("o-plan-booked", first, PT[0], PT[1][0], companions=3).status_code == 201
    resp = set_capacity(backoffice, [second], PT[1][0], 55)
    assert resp.status_code == 200, resp.json
    assert [(s["date"], s["capacity"]) for s in resp.json["slots"]] == [(second.isoformat(), 55)]
    shown = plan(backoffice)
    assert (slot_on(shown, second, PT[1][0])["capacity"], slot_on(shown, second, PT[1][0])["capacity_by"]) == (
        55,
        "李主管",
    )
    assert slot_on(shown, first, PT[1][0])["capacity"] == 40  # the other days keep theirs
    refused = set_capacity(backoffice, [first, second], PT[1][0], 3)  # 4 visitors booked on the first day
    assert (refused.status_code, refused.json["error"]) == (422, "below_booked")
    assert f"{chinese_date(first)} 08:00 正门已经约了4人，名额不能少于4" in refused.json["message"]
    shown = plan(backoffice)
    assert slot_on(shown, second, PT[1][0])["capacity"] == 55  # all or nothing
    assert (slot_on(shown, first, PT[1][0])["capacity"], slot_on(shown, first, PT[1][0])["booked"]) == (40, 4)
    resp = set_capacity(backoffice, [first, second], PT[1][0], 4)  # down to exactly what is booked
    assert [s["capacity"] for s in resp.json["slots"]] == [4, 4]
    for body, error in (
        ({"start": "09:00", "capacity": 10, "dates": [first.isoformat()]}, "invalid_slot"),
        ({"start": PT[1][0], "capacity": 10, "dates": []}, "invalid_request"),
        ({"start": PT[1][0], "capacity": 10, "dates": ["2020-04-04"]}, "date_past"),
        ({"start": PT[1][0], "capacity": 10, "dates": [f"{first.year}-07-01"]}, "no_booking_needed"),
    ):
        resp = backoffice.client.put(f"/cemetery/gates/{PT[0]}/capacity", json=body, headers=STAFF)
        assert (resp.status_code, resp.json["error"]) == (422, error), body


def test_more_places_go_to_the_waiting_list_at_once_and_the_resident_is_told(backoffice):
    day = season_days()[3]
    backoffice.open_day(day)
    backoffice.shrink("CEM-PT-01", day, 1)
    for i, start in enumerate(PT[1]):
        backoffice.resident(f"o-plan-full-{i}")
        assert backoffice.book(f"o-plan-full-{i}", day, PT[0], start).status_code == 201
    backoffice.resident("o-plan-wait")
    joined = backoffice.client.post(
        "/cemetery/waitlist",
        json={"openid": "o-plan-wait", "cemetery_code": "CEM-PT-01", "date": day.isoformat(), "companions": 1},
        headers=AUTH,
    )
    assert joined.status_code == 201, joined.json
    resp = set_capacity(backoffice, [day], PT[1][2], 3)
    assert resp.status_code == 200, resp.json
    assert [(s["capacity"], s["booked"]) for s in resp.json["slots"]] == [(3, 3)]
    [made] = backoffice.mine("o-plan-wait")["bookings"]
    assert (made["start"], made["people"], made["from_waitlist"]) == (PT[1][2], 2, True)
    with Session(backoffice.engine) as sess:
        told = sess.scalars(select(Change).where(Change.ref == made["number"])).all()
    assert [(c.domain, c.kind, c.recipient, c.data["gate_url"]) for c in told] == [
        ("cemetery", "waitlist_booked", "o-plan-wait", made["gate_url"])
    ]
