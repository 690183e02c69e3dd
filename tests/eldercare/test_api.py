"""The eldercare back-office API on the seeded demo region."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice.eldercare.models import EldercareApplication
from backoffice.residents.models import Household, Resident, WechatBinding
from common.db import make_engine
from tests.eldercare.conftest import AUTH

CAOYANG_PARK = (31.2440, 121.4125)


def get(client, url, **params):
    return client.get(url, query_string=params, headers=AUTH)


def test_nearest_meal_points_from_a_location(client):
    resp = get(client, "/eldercare/facilities", type="助餐", lat=CAOYANG_PARK[0], lng=CAOYANG_PARK[1], limit=3)
    assert resp.status_code == 200
    body = resp.json
    assert body["origin"]["kind"] == "location" and len(body["facilities"]) == 3 and body["has_more"]
    distances = [f["distance_m"] for f in body["facilities"]]
    assert distances == sorted(distances) and distances[0] < 1000
    assert all(f["type"] == "助餐" and f["address"] and f["phone"] and f["hours"] for f in body["facilities"])
    more = get(
        client,
        "/eldercare/facilities",
        type="助餐",
        lat=CAOYANG_PARK[0],
        lng=CAOYANG_PARK[1],
        limit=3,
        offset=body["next_offset"],
    ).json
    assert not {f["code"] for f in more["facilities"]} & {f["code"] for f in body["facilities"]}
    assert more["facilities"][0]["distance_m"] >= distances[-1]


def test_search_by_landmark_street_and_community_names(client):
    by_landmark = get(client, "/eldercare/facilities", type="日间照料", place="长风公园附近有没有").json
    assert by_landmark["origin"] == {"kind": "landmark", "name": "长风公园", "lat": 31.2262, "lng": 121.396}
    by_alias = get(client, "/eldercare/facilities", type="助餐", place="曹杨").json
    assert by_alias["origin"]["kind"] == "street" and by_alias["origin"]["name"] == "曹杨新村街道"
    by_community = get(client, "/eldercare/facilities", type="助餐", place="我住在兰溪居委会").json
    assert by_community["origin"]["kind"] == "community"
    missing = get(client, "/eldercare/facilities", type="助餐", place="火星基地")
    assert missing.status_code == 404 and missing.json["error"] == "place_not_found" and missing.json["message"]


def test_search_from_the_bound_residents_home(client):
    body = get(client, "/eldercare/facilities", type="综合为老服务中心", openid="oDEMO_resident_0001").json
    assert body["origin"]["kind"] == "home" and body["facilities"]
    assert get(client, "/eldercare/facilities", type="助餐", openid="oNobody").status_code == 404


def test_bad_requests_are_explained(client):
    assert get(client, "/eldercare/facilities", type="网吧", lat=31.2, lng=121.4).json["error"] == "bad_type"
    assert get(client, "/eldercare/facilities", type="助餐").json["error"] == "no_origin"
    assert get(client, "/eldercare/facilities", type="助餐", lat="x", lng="y").json["error"] == "bad_location"
    assert client.get("/eldercare/facilities?type=助餐&lat=31.2&lng=121.4").status_code == 401


def test_live_beds_put_a_care_home_with_free_beds_first(client):
    homes = get(client, "/eldercare/facilities", type="养老院", place="长风公园", limit=10).json["facilities"]
    full = next(f for f in homes if f["free_beds"] == 0) if any(f["free_beds"] == 0 for f in homes) else homes[-1]
    levels = [{"level": b["level"], "free": 0} for b in full["beds"]]
    levels[0]["free"] = 2
    resp = client.put(f"/eldercare/facilities/{full['code']}/beds", json={"beds": levels}, headers=AUTH)
    assert resp.status_code == 200 and resp.json["free_beds"] == 2
    again = get(client, "/eldercare/facilities", type="养老院", place="长风公园", limit=10).json["facilities"]
    frees = [f["free_beds"] > 0 for f in again]
    assert frees == sorted(frees, reverse=True)
    assert full["code"] in [f["code"] for f in again if f["free_beds"] > 0]
    too_many = client.put(
        f"/eldercare/facilities/{full['code']}/beds",
        json={"beds": [{"level": levels[0]["level"], "free": 9999}]},
        headers=AUTH,
    )
    assert too_many.status_code == 400 and too_many.json["error"] == "bad_beds"
    unknown = client.put(
        f"/eldercare/facilities/{full['code']}/beds", json={"beds": [{"level": "豪华", "free": 1}]}, headers=AUTH
    )
    assert unknown.json["error"] == "unknown_level"


@pytest.fixture
def elder_receiving(backoffice_url):
    """Bind a new openid to a resident whose household has an 80+ member already receiving 高龄津贴."""
    engine = make_engine(backoffice_url)
    with Session(engine) as sess, sess.begin():
        elder = sess.scalar(
            select(Resident)
            .where(Resident.birth_date < date(date.today().year - 81, 1, 1))
            .where(Resident.hukou_district_code == "310113")
            .order_by(Resident.id)
        )
        elder.benefits = ["高龄津贴"]
        sess.merge(WechatBinding(openid="oTEST_elder_receiving", resident_id=elder.id))
        return elder.id


def test_allowances_per_district_and_the_households_elders(client, elder_receiving):
    body = get(client, "/eldercare/allowances", district="宝山").json
    assert body["district"]["code"] == "310113"
    bands = [(a["age_min"], a["age_max"], a["monthly_amount"]) for a in body["allowances"]]
    assert bands == [(65, 69, 75), (70, 79, 150), (80, 89, 180), (90, 99, 350), (100, None, 600)]
    assert (
        "身份证" in "".join(body["allowances"][0]["documents"]) and body["service_subsidy"]["title"] == "养老服务补贴"
    )
    assert body["household"] is None
    mine = get(client, "/eldercare/allowances", openid="oTEST_elder_receiving").json
    me = next(m for m in mine["household"] if m["self"])
    assert me["age"] >= 80 and me["receiving"] is True and me["monthly_amount"] in (180, 350, 600)
    assert "*" in me["name"]
    assert get(client, "/eldercare/allowances", district="火星区").status_code == 404


def test_ltc_levels_and_retrofit_rules_are_data(client):
    ltc = get(client, "/eldercare/schemes/ltc").json
    assert [lv["level"] for lv in ltc["details"]["levels"]] == [1, 2, 3, 4, 5, 6]
    retrofit = get(client, "/eldercare/schemes/home_retrofit", openid="oDEMO_resident_0001").json
    assert retrofit["details"]["items"] and retrofit["your_subsidy"]["subsidy"]
    assert get(client, "/eldercare/schemes/nothing").status_code == 404


def test_ltc_application_is_idempotent_and_shows_progress(client):
    body = {"kind": "ltc_assessment", "openid": "oDEMO_resident_0001"}
    assert client.post("/eldercare/applications", json=body, headers=AUTH).json["error"] == "idempotency_key_required"
    first = client.post("/eldercare/applications", json=body, headers={**AUTH, "Idempotency-Key": "k-ltc-1"})
    assert first.status_code == 201 and first.json["reference"].startswith("CH") and first.json["status"] == "submitted"
    replay = client.post("/eldercare/applications", json=body, headers={**AUTH, "Idempotency-Key": "k-ltc-1"})
    assert replay.status_code == 200 and replay.json["reference"] == first.json["reference"]
    second = client.post("/eldercare/applications", json=body, headers={**AUTH, "Idempotency-Key": "k-ltc-2"})
    assert second.status_code == 409 and second.json["reference"] == first.json["reference"]
    ref = first.json["reference"]
    assert (
        client.post(f"/eldercare/applications/{ref}/status", json={"status": "assessed"}, headers=AUTH).json["error"]
        == "bad_level"
    )
    moved = client.post(
        f"/eldercare/applications/{ref}/status", json={"status": "scheduled", "note": "周三上午"}, headers=AUTH
    ).json
    assert [h["status"] for h in moved["history"]] == ["submitted", "scheduled"]
    listed = get(client, "/eldercare/applications", openid="oDEMO_resident_0001").json["applications"]
    assert [a["reference"] for a in listed if a["kind"] == "ltc_assessment"] == [ref]
    assert get(client, f"/eldercare/applications/{ref}").json["status_text"] == "已约好上门评估"


def test_applications_need_a_bound_resident_with_an_elder(client, backoffice_url):
    headers = {**AUTH, "Idempotency-Key": "k-unbound"}
    resp = client.post(
        "/eldercare/applications", json={"kind": "home_retrofit", "openid": "oStranger"}, headers=headers
    )
    assert resp.status_code == 403 and resp.json["error"] == "not_bound"
    engine = make_engine(backoffice_url)
    with Session(engine) as sess, sess.begin():
        young = sess.scalars(select(Household)).all()
        household = next(h for h in young if all(date.today().year - m.birth_date.year < 59 for m in h.members))
        sess.merge(WechatBinding(openid="oTEST_young_family", resident_id=household.members[0].id))
    resp = client.post(
        "/eldercare/applications",
        json={"kind": "home_retrofit", "openid": "oTEST_young_family"},
        headers={**AUTH, "Idempotency-Key": "k-young"},
    )
    assert resp.status_code == 422 and resp.json["error"] == "no_elder"
    ok = client.post(
        "/eldercare/applications",
        json={"kind": "home_retrofit", "openid": "oDEMO_resident_0002"},
        headers={**AUTH, "Idempotency-Key": "k-retrofit"},
    )
    assert ok.status_code == 201 and ok.json["reference"].startswith("SL") and ok.json["subsidy"]["subsidy"]


def test_every_eldercare_and_handbook_route_is_documented(client):
    documented = set(client.get("/openapi.json").json["paths"])
    mine = {
        r.rule.replace("<", "{").replace(">", "}").replace("int:", "")
        for r in client.application.url_map.iter_rules()
        if r.rule.startswith(("/eldercare", "/handbook"))
    }
    assert mine and mine <= documented


def test_a_younger_resident_applies_for_the_elder_of_their_own_household_only(client, backoffice_url):
    """The household rule of issue 19: the application is for the verified resident or a member of their registry
    household (the oldest one of 60 or more), never for anyone named in the request."""
    engine = make_engine(backoffice_url)
    with Session(engine) as sess, sess.begin():
        applied = set(sess.scalars(select(EldercareApplication.subject_id)))
        households = sess.scalars(select(Household).order_by(Household.id.desc())).all()
        household = next(
            h
            for h in households
            if not applied & {m.id for m in h.members}
            and any(date.today().year - m.birth_date.year < 55 and m.phone for m in h.members)
            and any(date.today().year - m.birth_date.year > 61 for m in h.members)
        )
        young = next(m for m in household.members if date.today().year - m.birth_date.year < 55 and m.phone)
        elder_ids = {m.id for m in household.members if date.today().year - m.birth_date.year > 61}
        sess.merge(WechatBinding(openid="oTEST_younger", resident_id=young.id))
        young_id = young.id
    resp = client.post(
        "/eldercare/applications",
        json={"kind": "ltc_assessment", "openid": "oTEST_younger"},
        headers={**AUTH, "Idempotency-Key": "k-younger"},
    )
    assert resp.status_code == 201 and resp.json["subject"]["self"] is False
    with Session(engine) as sess:
        app = sess.scalar(select(EldercareApplication).where(EldercareApplication.reference == resp.json["reference"]))
        assert app.applicant_id == young_id and app.subject_id in elder_ids
