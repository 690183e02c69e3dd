"""The back-office booking rules through its HTTP API (Flask test client), on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from backoffice.marriage import calendar
from backoffice.marriage.models import MarriageAppointment, MarriageClosure, MarriageParty, MarriageSlot
from tests.marriage.conftest import AUTH, Backoffice
from tests.marriage.people import Person, add_appointment, couple, person


def body(
    parties: tuple[Person, ...],
    day: str,
    openid: str,
    service: str = "结婚",
    office: str = "PT-MR-01",
    start: str = "09:00",
    stage: str = "",
) -> dict:
    return {
        "openid": openid,
        "office_code": office,
        "service": service,
        "stage": stage,
        "date": day,
        "start": start,
        "parties": [p.as_party() for p in parties],
        "phone": "13912345678",
    }


def past_divorce_application(bo: Backoffice, parties: tuple[Person, Person], days_ago: int, openid: str) -> None:
    """A divorce application handed in ``days_ago`` days ago (the back-office never books the past itself)."""
    day = calendar.today() - timedelta(days=days_ago)
    with Session(bo.engine) as sess, sess.begin():
        add_appointment(
            sess, f"HYT{days_ago:03d}{parties[0].id_number[-6:]}", openid, day, list(parties), "离婚", "申请", False
        )


# --- the calendar --------------------------------------------------------------------------------------------------


def test_public_holidays_weekends_adjusted_workdays_and_peak_days():
    assert calendar.day_status(date(2026, 10, 1), {}).reason == "法定节假日，登记处不上班"
    assert not calendar.day_status(date(2026, 11, 28), {}).open  # a Saturday
    assert calendar.day_status(date(2026, 9, 20), {}).open  # Sunday worked in lieu of the National Day holiday
    assert calendar.peak_name(date(2026, 5, 20)) == "5·20"
    assert calendar.peak_name(date(2026, 8, 19)) == "七夕"  # lunar 7/7 in 2026
    assert calendar.peak_name(date(2027, 8, 8)) == "七夕"
    saturday_peak = calendar.day_status(date(2026, 12, 12), {})
    assert saturday_peak.open and saturday_peak.peak == "12·12"  # peak days open on weekends (data: open_on_weekend)
    unpublished = calendar.day_status(date(2099, 3, 3), {})  # offered by the statutory holidays (issue 22)
    assert unpublished.open and "还没有公布" in unpublished.notice
    assert calendar.cooling_off_window(date(2026, 1, 1)) == (date(2026, 2, 1), date(2026, 3, 2))


def test_availability_shows_closed_days_with_a_reason_and_free_places(backoffice):
    resp = backoffice.client.get("/offices/PT-MR-01/availability?from=2026-10-01&days=3", headers=AUTH)
    assert [d["reason"] for d in resp.json["days"]][:1] == ["法定节假日，登记处不上班"]
    days = backoffice.client.get("/offices/PT-MR-01/availability?days=14", headers=AUTH).json["days"]
    open_days = [d for d in days if d["open"]]
    assert open_days and all(date.fromisoformat(d["date"]).weekday() < 5 or d["peak"] for d in open_days)
    assert all(s["free"] <= s["capacity"] for d in open_days for s in d["slots"])
    assert backoffice.client.get("/offices/NOPE/availability", headers=AUTH).json["error"] == "office_not_found"


# --- booking -------------------------------------------------------------------------------------------------------


def test_booking_is_idempotent_by_key_and_gives_number_address_time_and_materials(backoffice):
    day = backoffice.open_days()[0]["date"]
    pair = couple()
    first = backoffice.book(body(pair, day, "web:happy"), key="happy-1")
    assert first.status_code == 201, first.json
    appointment = first.json
    assert appointment["number"].startswith("HY") and appointment["date"] == day and appointment["start"] == "09:00"
    assert appointment["office"]["address"] and appointment["materials"]
    assert pair[0].id_number not in str(appointment)  # ID numbers come back masked
    again = backoffice.book(body(pair, day, "web:happy"), key="happy-1")
    assert again.status_code == 201 and again.json["number"] == appointment["number"]
    assert again.headers["Idempotent-Replayed"] == "true"
    other = backoffice.book(body(pair, day, "web:happy", start="10:00"), key="happy-1")
    assert other.status_code == 422 and other.json["error"] == "idempotency_key_reused"
    duplicate = backoffice.book(body(pair, day, "web:happy"), key="happy-2")
    assert duplicate.status_code == 409 and duplicate.json["error"] == "already_booked"
    mine = backoffice.client.get("/marriage/appointments?openid=web:happy", headers=AUTH).json["appointments"]
    assert [a["number"] for a in mine] == [appointment["number"]]


@pytest.mark.parametrize("bad_id", ["310107199001011234", "31010719900101123", "310107199013011230"])
def test_invalid_id_numbers_are_refused_with_a_message_to_relay(backoffice, bad_id):
    day = backoffice.open_days()[0]["date"]
    resp = backoffice.book(body((Person("赵强", bad_id), person("女", 25)), day, "web:badid"))
    assert resp.status_code == 422 and resp.json["error"] == "invalid_id_number"
    assert "身份证" in resp.json["message"] and bad_id not in resp.json["message"]


def test_legal_marriage_age_is_22_for_men_and_20_for_women(backoffice):
    day = backoffice.open_days()[0]["date"]
    young_man = backoffice.book(body((person("男", 21), person("女", 25)), day, "web:young1"))
    assert young_man.status_code == 422 and young_man.json["error"] == "under_age"
    assert "22周岁" in young_man.json["message"]
    young_woman = backoffice.book(body((person("男", 30), person("女", 19)), day, "web:young2"))
    assert young_woman.json["error"] == "under_age" and "20周岁" in young_woman.json["message"]
    just_old_enough = backoffice.book(body((person("男", 22), person("女", 20)), day, "web:young3", start="10:00"))
    assert just_old_enough.status_code == 201, just_old_enough.json
    # Divorce and re-issue have no age rule.
    assert backoffice.book(body((person("男", 21),), day, "web:young4", service="补领")).status_code == 201


def test_closed_days_and_offices_without_the_service_are_refused(backoffice):
    days = backoffice.client.get("/offices/PT-MR-01/availability?days=14", headers=AUTH).json["days"]
    weekend = next(d["date"] for d in days if not d["open"] and "周末" in d["reason"])
    resp = backoffice.book(body(couple(), weekend, "web:closed"))
    assert resp.status_code == 422 and resp.json["error"] == "office_closed" and "周末" in resp.json["message"]
    resp = backoffice.book(body(couple(), (calendar.today() + timedelta(days=200)).isoformat(), "web:closed"))
    assert resp.json["error"] == "date_out_of_range"
    resp = backoffice.book(body(couple(), calendar.today().isoformat(), "web:closed"))
    assert resp.json["error"] == "date_out_of_range"
    day = backoffice.open_days()[-1]["date"]
    resp = backoffice.book(body(couple(), day, "web:closed", service="离婚", office="PT-MR-02", stage="申请"))
    assert resp.json["error"] == "service_not_offered"
    with Session(backoffice.engine) as sess, sess.begin():
        sess.add(MarriageClosure(office_code="BS-MR-02", day=date.fromisoformat(day), reason="系统升级，暂停办理"))
    resp = backoffice.book(body(couple(), day, "web:closed", office="BS-MR-02"))
    assert resp.json["error"] == "office_closed" and "系统升级" in resp.json["message"]


def test_a_full_slot_is_refused_and_cancelling_frees_the_place(backoffice):
    day = backoffice.open_days(office="BS-MR-01")[1]["date"]
    with Session(backoffice.engine) as sess, sess.begin():
        sess.add(
            MarriageSlot(
                office_code="BS-MR-01", day=date.fromisoformat(day), start="13:30", end="14:30", capacity=1, booked=0
            )
        )
    first = backoffice.book(body(couple(), day, "web:full1", office="BS-MR-01", start="13:30"))
    assert first.status_code == 201
    second = backoffice.book(body(couple(), day, "web:full2", office="BS-MR-01", start="13:30"))
    assert second.status_code == 409 and second.json["error"] == "slot_full" and "约满" in second.json["message"]
    slots = backoffice.client.get(f"/offices/BS-MR-01/availability?from={day}&days=1", headers=AUTH).json["days"][0][
        "slots"
    ]
    assert next(s for s in slots if s["start"] == "13:30")["free"] == 0
    number = first.json["number"]
    cancelled = backoffice.client.post(
        f"/marriage/appointments/{number}/cancel", json={"openid": "web:full1"}, headers=AUTH
    )
    assert cancelled.status_code == 200 and cancelled.json["status"] == "cancelled"
    twice = backoffice.client.post(
        f"/marriage/appointments/{number}/cancel", json={"openid": "web:full1"}, headers=AUTH
    )
    assert twice.status_code == 200
    assert backoffice.book(body(couple(), day, "web:full2", office="BS-MR-01", start="13:30")).status_code == 201


def test_only_the_residents_own_appointments_can_be_seen_cancelled_or_moved(backoffice):
    open_days = backoffice.open_days()
    man, woman = couple()
    number = backoffice.book(body((man, woman), open_days[0]["date"], "oOwner", start="14:30")).json["number"]
    backoffice.verify("oStranger", person("男", 40, "路人"))
    for path in (f"/marriage/appointments/{number}/cancel", f"/marriage/appointments/{number}/reschedule"):
        resp = backoffice.client.post(
            path, json={"openid": "oStranger", "date": open_days[1]["date"], "start": "09:00"}, headers=AUTH
        )
        assert resp.status_code == 404 and resp.json["error"] == "appointment_not_found"
    assert backoffice.client.get(f"/marriage/appointments/{number}?openid=oStranger", headers=AUTH).status_code == 404
    assert backoffice.client.get("/marriage/appointments?openid=oStranger", headers=AUTH).json["appointments"] == []
    # The other party, verified on their own WeChat, sees it too: a party, not the one who booked.
    backoffice.verify("oOtherParty", woman)
    theirs = backoffice.client.get("/marriage/appointments?openid=oOtherParty", headers=AUTH).json["appointments"]
    assert [a["number"] for a in theirs] == [number]
    # A verified resident books only appointments in which they are a party.
    resp = backoffice.book(body(couple(), open_days[1]["date"], "oOwner"), as_party=False)
    assert resp.status_code == 403 and resp.json["error"] == "identity_mismatch" and "本人" in resp.json["message"]


def test_an_unverified_sender_books_sees_cancels_and_moves_nothing(backoffice):
    """The takeover of issue 19: a sender with no real-name binding names a verified resident's ID number in a 补领;
    before, that bound the sender to the number and the resident's appointments became 'its own'."""
    day = backoffice.open_days()[2]["date"]
    resident, spouse = couple()
    number = backoffice.book(body((resident, spouse), day, "oRealResident", start="15:30")).json["number"]
    takeover = backoffice.book(body((resident,), day, "web:thief", service="补领", start="10:00"), as_party=False)
    assert (
        takeover.status_code == 403 and takeover.json["error"] == "not_bound" and "实名认证" in takeover.json["message"]
    )
    refused = [
        backoffice.client.get("/marriage/appointments?openid=web:thief", headers=AUTH),
        backoffice.client.get(f"/marriage/appointments/{number}?openid=web:thief", headers=AUTH),
        backoffice.client.post(f"/marriage/appointments/{number}/cancel", json={"openid": "web:thief"}, headers=AUTH),
        backoffice.client.post(
            f"/marriage/appointments/{number}/reschedule",
            json={"openid": "web:thief", "date": day, "start": "09:00"},
            headers=AUTH,
        ),
    ]
    for resp in refused:
        assert resp.status_code == 403 and resp.json["error"] == "not_bound", resp.json
        assert resident.name not in str(resp.json) and number not in str(resp.json)
    mine = backoffice.client.get("/marriage/appointments?openid=oRealResident", headers=AUTH).json["appointments"]
    assert [(a["number"], a["status"]) for a in mine] == [(number, "booked")]


def test_the_divorce_window_is_told_only_to_a_verified_party(backoffice):
    """The leak of issue 19: two ID numbers told anyone whether and when that couple applied to divorce."""
    applied, never = couple(), couple()
    past_divorce_application(backoffice, applied, days_ago=40, openid="oDivorcing")
    backoffice.verify("oDivorcing", applied[1])

    def ask(openid: str, pair) -> object:
        body = {"openid": openid, "parties": [p.as_party() for p in pair]}
        return backoffice.client.post("/marriage/divorce-window", json=body, headers=AUTH)

    told = ask("oDivorcing", applied)
    assert (
        told.status_code == 200 and told.json["application_date"] == (calendar.today() - timedelta(days=40)).isoformat()
    )
    nothing = ask("oDivorcing", never)  # a party of a couple that never applied: the reference refusal
    assert nothing.status_code == 422 and nothing.json["error"] == "no_divorce_application"
    backoffice.verify("oNeighbour", person("女", 50, "邻居"))
    for openid in ("web:nosy", "oNeighbour"):  # unverified; verified but not a party
        resp = ask(openid, applied)
        assert (resp.status_code, resp.json) == (nothing.status_code, nothing.json)
    # A booking of the certificate by someone else learns nothing either: who asks is checked first.
    day = backoffice.open_days()[0]["date"]
    for openid in ("web:nosy", "oNeighbour"):
        resp = backoffice.book(body(applied, day, openid, service="离婚", stage="领证"), as_party=False)
        assert resp.status_code == 403 and resp.json["error"] in ("not_bound", "identity_mismatch")
        assert "申请" not in resp.json["message"]


def test_reschedule_moves_the_place_and_keeps_the_old_one_when_the_new_is_full(backoffice):
    open_days = backoffice.open_days(office="BS-MR-02")
    day1, day2 = open_days[0]["date"], open_days[2]["date"]
    booked = backoffice.book(body(couple(), day1, "web:move", office="BS-MR-02", start="15:30")).json
    with Session(backoffice.engine) as sess, sess.begin():
        sess.add(
            MarriageSlot(
                office_code="BS-MR-02", day=date.fromisoformat(day2), start="09:00", end="10:00", capacity=0, booked=0
            )
        )
    path = f"/marriage/appointments/{booked['number']}/reschedule"
    full = backoffice.client.post(path, json={"openid": "web:move", "date": day2, "start": "09:00"}, headers=AUTH)
    assert full.status_code == 409 and full.json["error"] == "slot_full"
    moved = backoffice.client.post(
        path, json={"openid": "web:move", "date": day2, "start": "10:00"}, headers={**AUTH, "Idempotency-Key": "move-1"}
    )
    assert moved.status_code == 200 and (moved.json["date"], moved.json["start"]) == (day2, "10:00")
    replay = backoffice.client.post(
        path, json={"openid": "web:move", "date": day2, "start": "10:00"}, headers={**AUTH, "Idempotency-Key": "move-1"}
    )
    assert replay.json == moved.json
    with Session(backoffice.engine) as sess:
        slots = {
            (s.day.isoformat(), s.start): s.booked
            for s in sess.scalars(select(MarriageSlot).where(MarriageSlot.office_code == "BS-MR-02"))
        }
    assert slots[(day1, "15:30")] == 0 and slots[(day2, "10:00")] == 1


# --- divorce: the 30-day cooling-off period ------------------------------------------------------------------------


def test_divorce_certificate_needs_an_application_and_waits_out_the_cooling_off_period(backoffice):
    open_days = backoffice.open_days(days=25)
    pair = couple()
    no_application = backoffice.book(body(pair, open_days[0]["date"], "web:div1", service="离婚", stage="领证"))
    assert no_application.status_code == 422 and no_application.json["error"] == "no_divorce_application"
    assert "30天冷静期" in no_application.json["message"]
    application = backoffice.book(body(pair, open_days[0]["date"], "web:div1", service="离婚", stage="申请"))
    assert application.status_code == 201 and "离婚协议书" in "".join(application.json["materials"])

    recent = couple()
    past_divorce_application(backoffice, recent, days_ago=10, openid="web:div2")
    early = backoffice.book(body(recent, open_days[0]["date"], "web:div2", service="离婚", stage="领证"))
    assert early.status_code == 422 and early.json["error"] == "cooling_off" and "冷静期" in early.json["message"]
    window = backoffice.client.post(
        "/marriage/divorce-window", json={"openid": "web:div2", "parties": [p.as_party() for p in recent]}, headers=AUTH
    ).json
    assert window["first_date"] == (calendar.today() + timedelta(days=21)).isoformat()

    ready = couple()
    past_divorce_application(backoffice, ready, days_ago=40, openid="web:div3")
    last = calendar.today() + timedelta(days=20)
    in_window = next(d["date"] for d in open_days if date.fromisoformat(d["date"]) <= last)
    booked = backoffice.book(body(ready, in_window, "web:div3", service="离婚", stage="领证"))
    assert booked.status_code == 201, booked.json
    assert booked.json["application_date"] == (calendar.today() - timedelta(days=40)).isoformat()
    late = backoffice.book(
        body(ready, (last + timedelta(days=1)).isoformat(), "web:div3", service="离婚", stage="领证")
    )
    assert late.json["error"] in ("cooling_off", "already_booked")

    expired = couple()
    past_divorce_application(backoffice, expired, days_ago=70, openid="web:div4")
    resp = backoffice.book(body(expired, open_days[0]["date"], "web:div4", service="离婚", stage="领证"))
    assert resp.json["error"] == "application_expired" and "视为撤回" in resp.json["message"]


def test_bad_requests_get_machine_readable_codes(backoffice):
    day = backoffice.open_days()[0]["date"]
    cases = [
        ({**body(couple(), day, "web:bad"), "service": "订婚"}, "invalid_service"),
        ({**body(couple(), day, "web:bad", service="离婚")}, "invalid_stage"),
        ({**body(couple(), day, "web:bad"), "phone": "12345"}, "invalid_phone"),
        ({**body(couple(), day, "web:bad"), "date": "下周三"}, "invalid_date"),
        ({**body(couple(), day, "web:bad"), "start": "08:00"}, "invalid_slot"),
        ({**body(couple()[:1], day, "web:bad")}, "invalid_parties"),
        ({**body(couple(), day, "")}, "invalid_openid"),
    ]
    for request_body, code in cases:
        resp = backoffice.book(request_body)
        assert resp.status_code == 422 and resp.json["error"] == code and resp.json["message"], (code, resp.json)
    same = person("男", 30)
    assert backoffice.book(body((same, same), day, "web:bad")).json["error"] == "same_person"
    assert backoffice.client.post("/marriage/appointments", data="nope", headers=AUTH).status_code == 400


def test_past_appointments_no_longer_block_a_new_one(backoffice):
    pair = couple()
    day = backoffice.open_days()[0]["date"]
    first = backoffice.book(body(pair, day, "web:again", start="11:00")).json
    with Session(backoffice.engine) as sess, sess.begin():  # as if its day had passed
        sess.execute(
            update(MarriageAppointment)
            .where(MarriageAppointment.number == first["number"])
            .values(day=calendar.today() - timedelta(days=3))
        )
        sess.execute(
            update(MarriageParty)
            .where(MarriageParty.id_number == pair[0].id_number)
            .values(day=calendar.today() - timedelta(days=3))
        )
        sess.execute(
            update(MarriageParty)
            .where(MarriageParty.id_number == pair[1].id_number)
            .values(day=calendar.today() - timedelta(days=3))
        )
    assert backoffice.book(body(pair, day, "web:again", start="11:00")).status_code == 201
