"""The 两项补贴 pre-check (from the registry) and applications through the back-office API, on SQLite and
PostgreSQL."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice.residents.models import Household, Resident
from tests.benefits_api import AUTH, ME, bind_stranger, me, post


def set_record(engine, resident_id: int, grade: int, category: str, benefits: list[str] | None = None) -> None:
    with Session(engine) as sess:
        resident = sess.get(Resident, resident_id)
        resident.disability_grade, resident.disability_category = grade, category
        if benefits is not None:
            resident.benefits = benefits
        sess.commit()


def no_records(engine, household_id: int) -> None:
    with Session(engine) as sess:
        for member in sess.get(Household, household_id).members:
            member.disability_grade, member.disability_category = 0, ""
            member.benefits = [b for b in member.benefits if b not in ("低保", "低收入", "特困供养", "残疾人两项补贴")]
        sess.commit()


def precheck(client, openid: str = ME) -> dict:
    response = client.get("/benefits/disability/precheck", query_string={"openid": openid}, headers=AUTH)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_the_precheck_reads_the_disability_record_and_the_households_status(backoffice):
    client, engine = backoffice
    resident = me(engine)
    no_records(engine, resident.household_id)
    set_record(engine, resident.id, 2, "肢体", ["低保"])
    answer = precheck(client)
    [member] = answer["members"]
    assert member["self"] is True and member["grade"] == 2 and member["category"] == "肢体"
    assert member["household_status"] == "低保" and member["receiving"] is False
    assert member["subsidies"]["disability_living"]["monthly"] == 380
    assert member["subsidies"]["disability_care"]["monthly"] == 200
    assert member["name"] != resident.name  # masked
    assert {d["name"] for d in answer["documents"]["disability_care"]} >= {"残疾证", "户口本"}


def test_without_a_record_the_precheck_says_how_to_get_a_certificate(backoffice):
    client, engine = backoffice
    no_records(engine, me(engine).household_id)
    answer = precheck(client)
    assert answer["members"] == [] and "残疾人证" in answer["no_record"]["reasons"][0]["text"]


def test_the_precheck_needs_a_verified_sender(backoffice):
    client, _ = backoffice
    response = client.get("/benefits/disability/precheck", query_string={"openid": "oNOBODY"}, headers=AUTH)
    assert response.status_code == 404 and response.get_json()["error"] == "not_bound"


def test_applying_for_a_household_member_once_per_subsidy(backoffice):
    client, engine = backoffice
    resident = me(engine)
    no_records(engine, resident.household_id)
    with Session(engine) as sess:
        other = sess.scalar(
            select(Resident).where(Resident.household_id == resident.household_id, Resident.id != resident.id)
        )
    member_id = other.id if other else resident.id
    set_record(engine, member_id, 1, "智力", None)
    body = {"programme": "disability_care", "submitted_by_openid": ME, "member_id": member_id, "channel": "wechat"}
    created = post(client, body, "dc-1")
    assert created.status_code == 201, created.get_json()
    case = created.get_json()
    assert case["case_no"].startswith("CJ") and case["estimate"]["monthly"] == 300
    assert {d["kind"] for d in case["required_documents"]} == {"disability_card", "id_card", "hukou", "bank_card"}
    assert post(client, body, "dc-1").status_code == 200
    repeat = post(client, body, "dc-2")
    assert repeat.status_code == 409 and repeat.get_json()["reference"] == case["case_no"]
    living = post(client, {**body, "programme": "disability_living"}, "dl-1")
    assert living.status_code == 422 and living.get_json()["error"] == "not_eligible"
    assert "低保" in living.get_json()["message"]
    listed = client.get("/benefits/applications", query_string={"openid": ME, "topic": "disability"}, headers=AUTH)
    assert [c["case_no"] for c in listed.get_json()["applications"]] == [case["case_no"]]
    assert precheck(client)["members"][0]["open_cases"] == [case["case_no"]]


def test_a_stranger_and_a_subsidy_already_paid_are_refused(backoffice):
    client, engine = backoffice
    resident = me(engine)
    stranger = bind_stranger(engine, resident.household_id, "oSTRANGER")
    set_record(engine, stranger.id, 1, "肢体", ["低保"])
    refused = post(client, {"programme": "disability_care", "submitted_by_openid": ME, "member_id": stranger.id}, "x-1")
    assert refused.status_code == 403 and refused.get_json()["error"] == "not_household"
    set_record(engine, resident.id, 1, "视力", ["残疾人两项补贴"])
    paid = post(client, {"programme": "disability_care", "submitted_by_openid": ME}, "x-2")
    assert paid.status_code == 409 and paid.get_json()["error"] == "already_receiving"
    assert post(client, {"programme": "disability_care", "submitted_by_openid": "oNOBODY"}, "x-3").status_code == 403


def test_the_standards_are_published(backoffice):
    client, _ = backoffice
    answer = client.get("/benefits/disability/standards", headers=AUTH).get_json()
    assert answer["care"]["monthly"]["1"] == 300 and answer["source"]
