"""The funeral pre-check and applications through the back-office API, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice.benefits.models import BenefitApplication
from common.masking import id_check_char
from tests.benefits_api import AUTH, ME, bind_stranger, me, post

DECEASED = "31010719400101101" + id_check_char("31010719400101101")


def funeral_body(programme: str = "eco_burial", **overrides) -> dict:
    body = {
        "programme": programme,
        "submitted_by_openid": ME,
        "channel": "wechat",
        "deceased": {
            "name": "王秀英",
            "id_number": DECEASED,
            "death_date": (date.today() - timedelta(days=3)).isoformat(),
        },
        "relation": "母亲",
        "facts": {"district": "普陀区", "status": "低保", "burial": "海葬"},
    }
    body.update(overrides)
    return body


def test_the_precheck_explains_both_benefits_with_amounts_and_documents(backoffice):
    client, _ = backoffice
    answer = client.post(
        "/benefits/funeral/precheck", json={"district": "普陀", "status": "低保", "burial": "海葬"}, headers=AUTH
    ).get_json()
    assert answer["funeral_waiver"]["eligible"] is True and answer["funeral_waiver"]["amount"] == 1330
    assert answer["eco_burial"]["amount"] == 2000
    names = {d["name"] for d in answer["documents"]["eco_burial"]}
    assert {"死亡证明", "火化证明"} <= names
    assert answer["caveat"] and answer["source"]["eco_burial"]


def test_the_precheck_refuses_an_unknown_district_in_plain_words(backoffice):
    client, _ = backoffice
    response = client.post("/benefits/funeral/precheck", json={"district": "火星区"}, headers=AUTH)
    assert response.status_code == 404 and response.get_json()["error"] == "unknown_district"
    assert "区的名字" in response.get_json()["message"]


def test_an_application_is_made_once_per_key_and_names_its_documents(backoffice):
    client, engine = backoffice
    first = post(client, funeral_body(), "fu-1")
    assert first.status_code == 201, first.get_json()
    case = first.get_json()
    assert case["case_no"].startswith("BZ") and case["status"] == "受理"
    assert case["estimate"]["amount"] == 2000
    assert case["subject"]["name"] != "王秀英" and case["subject"]["id_number"] != DECEASED  # masked
    assert {d["kind"] for d in case["required_documents"]} >= {"death_certificate", "eco_burial_certificate"}
    again = post(client, funeral_body(), "fu-1")
    assert again.status_code == 200 and again.get_json()["case_no"] == case["case_no"]
    assert post(client, funeral_body(relation="父亲"), "fu-1").status_code == 409
    with Session(engine) as sess:
        assert len(sess.scalars(select(BenefitApplication)).all()) == 1


def test_a_second_application_for_the_same_deceased_is_refused_without_a_strangers_case_number(backoffice):
    client, engine = backoffice
    case_no = post(client, funeral_body(), "fu-a").get_json()["case_no"]
    mine = post(client, funeral_body(), "fu-b")
    assert mine.status_code == 409 and mine.get_json()["reference"] == case_no
    bind_stranger(engine, me(engine).household_id, "oSTRANGER")
    theirs = post(client, funeral_body(submitted_by_openid="oSTRANGER"), "fu-c")
    assert theirs.status_code == 409 and "reference" not in theirs.get_json()
    assert case_no not in theirs.get_json()["message"]


def test_refusals_are_plain_chinese(backoffice):
    client, _ = backoffice
    cases = [
        (funeral_body(submitted_by_openid="oNOBODY"), 403, "not_bound"),
        (
            funeral_body(deceased={"name": "王秀英", "id_number": "310107194001011012", "death_date": "2026-12-01"}),
            422,
            "invalid_id_number",
        ),
        (
            funeral_body(
                deceased={
                    "name": "王秀英",
                    "id_number": DECEASED,
                    "death_date": (date.today() + timedelta(days=1)).isoformat(),
                }
            ),
            422,
            "invalid_death_date",
        ),
        (funeral_body(deceased={"name": "王秀英", "id_number": DECEASED, "death_date": "2020-01-01"}), 422, "too_late"),
        (funeral_body(facts={"district": "普陀区", "status": "无", "burial": "墓穴"}), 422, "not_eligible"),
        (
            funeral_body("funeral_waiver", facts={"district": "普陀区", "status": "无", "burial": "未定"}),
            422,
            "not_eligible",
        ),
        (funeral_body(facts={"district": "外地", "status": "低保", "burial": "海葬"}), 422, "not_eligible"),
        (funeral_body(programme="lottery"), 422, "unknown_programme"),
    ]
    for i, (body, status, code) in enumerate(cases):
        response = post(client, body, f"bad-{i}")
        assert (response.status_code, response.get_json()["error"]) == (status, code), response.get_json()
        assert any("\u4e00" <= ch <= "\u9fff" for ch in response.get_json()["message"])


def test_progress_is_the_residents_own_and_each_step_is_told(backoffice):
    client, engine = backoffice
    case_no = post(client, funeral_body("funeral_waiver"), "fu-p").get_json()["case_no"]
    mine = client.get("/benefits/applications", query_string={"openid": ME, "topic": "funeral"}, headers=AUTH)
    assert [c["case_no"] for c in mine.get_json()["applications"]] == [case_no]
    assert (
        client.get(
            "/benefits/applications", query_string={"openid": ME, "topic": "disability"}, headers=AUTH
        ).get_json()["applications"]
        == []
    )
    bind_stranger(engine, me(engine).household_id, "oOTHER")
    hidden = client.get(f"/benefits/applications/{case_no}", query_string={"openid": "oOTHER"}, headers=AUTH)
    assert hidden.status_code == 404
    moved = client.post(f"/benefits/applications/{case_no}/status", json={"status": "审核"}, headers=AUTH)
    assert moved.get_json()["status_text"] == "街镇正在审核"
    assert (
        client.post(f"/benefits/applications/{case_no}/status", json={"status": "退回"}, headers=AUTH).status_code
        == 422
    )
    assert (
        client.post(f"/benefits/applications/{case_no}/status", json={"status": "发放"}, headers=AUTH).status_code
        == 409
    )
    changes = client.get("/changes", headers=AUTH).get_json()
    assert any(c["domain"] == "benefits" and c["ref"] == case_no and c["status"] == "审核" for c in changes["changes"])
