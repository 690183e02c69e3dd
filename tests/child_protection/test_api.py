"""The back-office's child-protection API on the seeded demo region: whom a report goes to, once per key."""

from __future__ import annotations

import logging
import re
import uuid

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backoffice.child_protection.models import ChildProtectionCase, ChildProtectionWorker
from backoffice.region.models import Community
from backoffice.residents.models import Household, Resident, WechatBinding
from backoffice.seed.load import DEMO_OPENIDS
from common.db import make_engine
from tests.child_protection.conftest import AUTH

ACCOUNT = "楼上那家天天打孩子，刚才又听到孩子哭着喊救命，孩子妈妈电话13912345678"


def body(**changes) -> dict:
    return {
        "sender": "oNotVerified0001",
        "kind": "violence",
        "account": ACCOUNT,
        "conversation_url": "http://platform.test/console/conversations/7",
        "reported_at": "2026-12-04T01:30:00+00:00",
        **changes,
    }


def report(client, payload: dict, key: str | None = None):
    headers = {**AUTH, "Idempotency-Key": key or uuid.uuid4().hex}
    return client.post("/child-protection/cases", json=payload, headers=headers)


@pytest.fixture
def db(backoffice_url):
    engine = make_engine(backoffice_url)
    with Session(engine) as sess:
        yield sess
    engine.dispose()


def test_a_verified_resident_s_report_goes_to_their_community_s_child_welfare_director(client, db):
    resident = db.get(Resident, db.get(WechatBinding, DEMO_OPENIDS[0]).resident_id)
    community = db.get(Community, db.get(Household, resident.household_id).community_code)
    director = db.scalar(select(ChildProtectionWorker).where(ChildProtectionWorker.community_code == community.code))

    resp = report(client, body(sender=DEMO_OPENIDS[0], kind="neglect"))

    assert resp.status_code == 201
    case = resp.json
    assert re.fullmatch(r"WB\d{8}\d{5}", case["reference"])
    assert case["assigned_to"] == {
        "name": director.name[0] + "*" * (len(director.name) - 1),
        "role": director.role,
        "community": community.name,
        "station": None,
        "phone": director.phone,
    }
    assert director.role in ("社区儿童主任", "村儿童主任")
    assert (case["status"], case["kind"], case["kind_text"]) == ("assigned", "neglect", "无人照料")
    assert case["reported_at"] == "2026-12-04T01:30:00+00:00" and "account" not in case
    stored = db.scalar(select(ChildProtectionCase).where(ChildProtectionCase.reference == case["reference"]))
    assert stored.account == ACCOUNT and stored.resident_id == resident.id  # kept whole, as written
    assert stored.community_code == community.code and stored.sender == DEMO_OPENIDS[0]
    assert client.get(f"/child-protection/cases/{case['reference']}", headers=AUTH).json == case


def test_an_unverified_sender_s_report_goes_to_the_district_station_with_no_community(client):
    named = report(
        client, body(account="宝山区友谊路那边有个小孩一个人在街上，好几天没人管了", kind="abandonment")
    ).json
    assert named["assigned_to"]["community"] is None
    assert named["assigned_to"]["station"] == "宝山区未成年人保护工作站"
    assert named["assigned_to"]["role"] == "值班社工" and named["district"]["name"] == "宝山区"
    nowhere = report(client, body(account="邻居家孩子好几天没饭吃了")).json  # no place named: the default station
    assert (
        nowhere["assigned_to"]["station"] == "普陀区未成年人保护工作站" and nowhere["assigned_to"]["community"] is None
    )


def test_the_same_key_and_body_return_the_same_case_and_make_no_other(client, db):
    key = "cp-" + uuid.uuid4().hex
    first = report(client, body(), key)
    count = db.scalar(select(func.count()).select_from(ChildProtectionCase))
    again = report(client, body(), key)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["Idempotent-Replayed"] == "true" and again.json == first.json
    assert db.scalar(select(func.count()).select_from(ChildProtectionCase)) == count
    other = report(client, body(kind="neglect"), key)
    assert other.status_code == 409 and other.json["error"] == "idempotency_key_reused"


@pytest.mark.parametrize(
    "payload,code",
    [
        (body(kind="bullying"), "bad_kind"),
        (body(account=""), "bad_request"),
        (body(sender=None), "bad_request"),
        (body(conversation_url="javascript:alert(1)"), "bad_request"),
        (body(reported_at="yesterday"), "bad_reported_at"),
        (["not", "an", "object"], "bad_kind"),
    ],
)
def test_a_bad_body_is_refused_and_makes_nothing(client, db, payload, code):
    before = db.scalar(select(func.count()).select_from(ChildProtectionCase))
    resp = report(client, payload)
    assert resp.status_code == 400 and resp.json["error"] == code and resp.json["message"]
    assert db.scalar(select(func.count()).select_from(ChildProtectionCase)) == before


def test_a_report_needs_a_key_and_the_token(client):
    without_key = client.post("/child-protection/cases", json=body(), headers=AUTH)
    assert without_key.status_code == 400 and without_key.json["error"] == "idempotency_key_required"
    for headers in ({}, {"Authorization": "Bearer wrong"}):
        resp = client.post("/child-protection/cases", json=body(), headers={**headers, "Idempotency-Key": "k1"})
        assert resp.status_code == 401 and resp.json["error"] == "unauthorized"
    assert client.get("/child-protection/cases/WB2026120400001").status_code == 401


def test_an_unknown_case_is_not_found(client):
    resp = client.get("/child-protection/cases/WB2099010100001", headers=AUTH)
    assert resp.status_code == 404 and resp.json["error"] == "not_found"


def test_the_account_is_logged_masked_only(client, caplog):
    with caplog.at_level(logging.INFO, logger="backoffice.child_protection.cases"):
        assert report(client, body()).status_code == 201
    [made] = [r for r in caplog.records if r.getMessage() == "child protection case made"]
    assert "13912345678" not in made.account and "139****5678" in made.account
    assert all("13912345678" not in r.getMessage() for r in caplog.records)
