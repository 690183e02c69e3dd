"""The assistance and resident-registry API in-process, on SQLite and on PostgreSQL."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backoffice.app import create_app
from backoffice.assistance.models import Application
from backoffice.residents.models import Resident, WechatBinding
from backoffice.seed.load import DEMO_OPENIDS, seed
from common import settings
from common.db import make_engine
from common.masking import id_check_char
from common.migrate import upgrade

TOKEN = "assistance-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def valid_id(first17: str = "31010719500101123") -> str:
    return first17 + id_check_char(first17)


@pytest.fixture
def backoffice(db_url, monkeypatch):
    upgrade("backoffice", db_url)
    engine = make_engine(db_url)
    seed(engine)
    monkeypatch.setenv("BACKOFFICE_DATABASE_URL", db_url)
    monkeypatch.setenv("BACKOFFICE_TOKEN", TOKEN)
    yield create_app(settings.load()).test_client(), engine
    engine.dispose()


def application(id_number: str, **overrides) -> dict:
    body = {
        "type": "低保",
        "applicant": {"id_number": id_number, "relation": "本人", "phone": "13912345678"},
        "community": "曹杨一村",
        "hardship": "老伴去世，没有收入",
        "consent": {"economic_check": True},
        "submitted_by_openid": DEMO_OPENIDS[0],
        "channel": "wechat",
    }
    body.update(overrides)
    return body


def post(client, body: dict, key: str):
    return client.post("/assistance/applications", json=body, headers={**AUTH, "Idempotency-Key": key})


def bound_resident(engine, openid: str = DEMO_OPENIDS[0]) -> tuple[str, Resident]:
    with Session(engine) as sess:
        binding = sess.get(WechatBinding, openid)
        resident = sess.get(Resident, binding.resident_id)
        sess.expunge(resident)
        return binding.openid, resident


def my_id(engine) -> str:
    return bound_resident(engine)[1].id_number


def bind_outside(engine, resident: Resident, openid: str) -> Resident:
    """Bind ``openid`` to an adult of another household than ``resident``'s."""
    with Session(engine) as sess:
        other = sess.scalar(
            select(Resident)
            .where(Resident.household_id != resident.household_id, Resident.phone != "")
            .order_by(Resident.id)
            .limit(1)
        )
        sess.add(WechatBinding(openid=openid, resident_id=other.id))
        sess.commit()
        sess.refresh(other)
        sess.expunge(other)
        return other


def household_member(engine, resident: Resident) -> Resident | None:
    with Session(engine) as sess:
        found = sess.scalar(
            select(Resident).where(Resident.household_id == resident.household_id, Resident.id != resident.id)
        )
        if found is not None:
            sess.expunge(found)
        return found


def test_standards_and_precheck_cite_the_district_figure(backoffice):
    client, _ = backoffice
    std = client.get("/assistance/standards?district=普陀区", headers=AUTH).json
    assert std["standard"]["dibao_per_person_month"] == 1510 and "低保" in std["programs"]
    verdict = client.post(
        "/assistance/precheck",
        headers=AUTH,
        json={
            "district": "普陀",
            "household_size": 2,
            "monthly_income": 2000,
            "savings": 0,
            "vehicles": 0,
            "circumstances": [],
        },
    ).json
    assert verdict["outcome"] == "likely_eligible" and "1510" in verdict["reasons"][0]["figure"]
    bad = client.post("/assistance/precheck", headers=AUTH, json={"district": "火星区", "household_size": 1})
    assert bad.status_code == 404 and bad.json["error"] == "unknown_district"
    assert (
        client.post("/assistance/precheck", headers=AUTH, json={"district": "普陀区", "household_size": 0}).status_code
        == 400
    )


def test_the_advisor_for_a_community_by_name_alias_or_within_a_sentence(backoffice):
    client, _ = backoffice
    for said in ("曹杨一村居委会", "曹杨一村", "我住在曹杨一村那边"):
        found = client.get("/assistance/advisors", query_string={"community": said}, headers=AUTH).json
        assert found["community"]["code"] == "310107005001"
        assert found["advisor"] == {"name": "沈丽华", "phone": "021-62540132"}
    assert client.get("/assistance/advisors?community=不存在居委会", headers=AUTH).status_code == 404


def test_create_is_idempotent_and_returns_documents_and_advisor(backoffice):
    client, engine = backoffice
    body = application(my_id(engine))
    first = post(client, body, "key-1")
    again = post(client, body, "key-1")
    assert first.status_code == 201 and again.status_code == 200
    assert first.json["case_no"] == again.json["case_no"] and first.json["case_no"].startswith("JZ")
    assert first.json["status"] == "受理" and first.json["documents"] and first.json["advisor"]["name"] == "沈丽华"
    assert first.json["applicant"]["id_number_masked"].count("*") == 11
    with Session(engine) as sess:
        assert sess.scalar(select(func.count()).select_from(Application)) == 1
    reused = post(client, application(my_id(engine), type="临时救助"), "key-1")
    assert reused.status_code == 409 and reused.json["error"] == "idempotency_key_reused"
    assert post(client, body, "").status_code == 400


@pytest.mark.parametrize(
    "change, code",
    [
        ({"consent": {"economic_check": False}}, "consent_required"),
        ({"consent": None}, "consent_required"),
        ({"type": "补贴"}, "unknown_type"),
        (
            {"applicant": {"id_number": "310107195001011230", "relation": "本人", "phone": "13912345678"}},
            "invalid_id_number",
        ),
        ({"community": "不存在"}, "unknown_community"),
        ({"hardship": ""}, "hardship_required"),
    ],
)
def test_an_incomplete_application_is_refused_with_a_readable_reason(backoffice, change, code):
    client, engine = backoffice
    resp = post(client, application(my_id(engine), **change), f"bad-{code}")
    assert resp.status_code == 422 and resp.json["error"] == code and resp.json["message"]
    with Session(engine) as sess:
        assert sess.scalar(select(func.count()).select_from(Application)) == 0


def test_a_resident_sees_own_and_family_applications_only(backoffice):
    client, engine = backoffice
    openid, me = bound_resident(engine)
    other_openid = "oOther"
    other = bind_outside(engine, me, other_openid)
    mine = post(client, application(me.id_number), "mine").json
    member = household_member(engine, me)
    for_member = (
        post(
            client,
            application(
                member.id_number,
                applicant={"id_number": member.id_number, "relation": "配偶", "phone": "13912345678"},
            ),
            "member",
        ).json
        if member
        else None
    )
    stranger = post(client, application(other.id_number, submitted_by_openid=other_openid), "stranger").json
    listed = client.get("/assistance/applications", query_string={"openid": openid}, headers=AUTH).json["applications"]
    assert {a["case_no"] for a in listed} == {mine["case_no"]} | ({for_member["case_no"]} if for_member else set())
    own = client.get(f"/assistance/applications/{mine['case_no']}", query_string={"openid": openid}, headers=AUTH)
    assert own.status_code == 200 and own.json["status_text"]
    hidden = client.get(
        f"/assistance/applications/{stranger['case_no']}", query_string={"openid": openid}, headers=AUTH
    )
    missing = client.get("/assistance/applications/JZ2099010199999", query_string={"openid": openid}, headers=AUTH)
    assert hidden.status_code == missing.status_code == 404 and hidden.json == missing.json
    unbound = client.get("/assistance/applications", query_string={"openid": "nobody"}, headers=AUTH)
    assert unbound.status_code == 404 and unbound.json["error"] == "not_bound"


def test_only_a_verified_sender_applies_for_themselves_or_their_household(backoffice):
    client, engine = backoffice
    openid, me = bound_resident(engine)
    stranger = bind_outside(engine, me, "oStranger")
    with Session(engine) as sess:  # a resident with a household of more than one, bound to a test sender
        household = sess.scalar(
            select(Resident.household_id).group_by(Resident.household_id).having(func.count() > 1).limit(1)
        )
        head, member = sess.scalars(select(Resident).where(Resident.household_id == household).limit(2)).all()
        sess.add(WechatBinding(openid="oHousehold", resident_id=head.id))
        sess.commit()
        head_id, member_id = head.id, member.id_number

    unbound = post(client, application(me.id_number, submitted_by_openid=None), "unbound")
    assert unbound.status_code == 403 and unbound.json["error"] == "not_bound" and "实名认证" in unbound.json["message"]
    web = post(client, application(me.id_number, submitted_by_openid="web:abc"), "web")
    assert web.status_code == 403 and web.json["error"] == "not_bound"

    theirs = post(client, application(stranger.id_number), "stranger")  # a real resident of another household
    unknown = post(client, application(valid_id("31010719600303336")), "unknown")  # an ID the registry does not hold
    assert theirs.status_code == unknown.status_code == 403
    assert (
        theirs.json == unknown.json and theirs.json["error"] == "not_household" and "同一户" in theirs.json["message"]
    )

    for_member = post(
        client,
        application(
            member_id,
            applicant={"id_number": member_id, "relation": "家人", "phone": "13912345678"},
            submitted_by_openid="oHousehold",
        ),
        "member",
    )
    assert for_member.status_code == 201, for_member.json
    with Session(engine) as sess:
        case = sess.scalar(select(Application).where(Application.case_no == for_member.json["case_no"]))
        assert case.submitted_by_resident_id == head_id and case.applicant_id_number == member_id
        assert sess.scalar(select(func.count()).select_from(Application)) == 1


def test_status_history_follows_the_review_steps(backoffice):
    client, engine = backoffice
    case = post(client, application(my_id(engine)), "steps").json["case_no"]
    url = f"/assistance/applications/{case}/status"
    for status in ("入户调查", "经济状况核对", "审核公示", "审批", "发放"):
        resp = client.post(url, json={"status": status}, headers=AUTH)
        assert resp.status_code == 200 and resp.json["status"] == status
    history = resp.json["history"]
    assert [h["status"] for h in history] == ["受理", "入户调查", "经济状况核对", "审核公示", "审批", "发放"]
    assert client.post(url, json={"status": "审批"}, headers=AUTH).status_code == 409


def test_returning_or_refusing_needs_a_reason(backoffice):
    client, engine = backoffice
    case = post(client, application(my_id(engine)), "refuse").json["case_no"]
    url = f"/assistance/applications/{case}/status"
    assert client.post(url, json={"status": "退回"}, headers=AUTH).json["error"] == "reason_required"
    resp = client.post(url, json={"status": "退回", "reason": "缺少收入证明"}, headers=AUTH).json
    assert resp["status"] == "退回" and resp["status_reason"] == "缺少收入证明" and resp["next_step"]


def test_concurrent_creates_with_one_key_make_one_case(backoffice):
    client, engine = backoffice
    app = client.application
    body, results = application(my_id(engine)), []

    def create() -> None:
        with app.test_client() as c:
            results.append(post(c, body, "race").status_code)

    threads = [threading.Thread(target=create) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results)[0] == 200 and results.count(201) == 1, results
    with Session(engine) as sess:
        assert sess.scalar(select(func.count()).select_from(Application)) == 1


def test_a_bound_openid_resolves_to_the_registry_entry(backoffice):
    client, engine = backoffice
    openid, me = bound_resident(engine)
    found = client.get(f"/residents/by-openid/{openid}", headers=AUTH).json
    assert found["id_number"] == me.id_number and found["household"]["members"]
    assert client.get("/residents/by-openid/nobody", headers=AUTH).status_code == 404
