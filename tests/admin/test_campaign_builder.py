"""The campaign builder's parts without a browser: each benefit's eligibility as the back-office publishes
it (a valid audience rule, from its own figures), and the audience count the builder asks for on every
change — the same figures as the full audience computation, refused with a Chinese reason for a bad rule.

The web app talks to the real back-office app, served on a loopback port over the seeded demo registry."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import text
from sqlalchemy.orm import sessionmaker

from backoffice.assistance import standards as bo_standards
from common import settings
from common.db import make_engine
from tests.admin.conftest import sign_in, web_app
from tests.serving import served
from web.outbound.models import ResidentConsent
from web.policy import audience, rules
from web.policy import standards as web_standards
from web.subscriptions import consent as notice_consent

pytestmark = pytest.mark.usefixtures("redis_client")
TOKEN = "builder-test-token"
TEMPLATE = "TPL_builder"
BUILDER_DATA = re.compile(r'<script type="application/json" id="builder-data">(.*?)</script>', re.S)
EVERY_ADULT = '{"all": [{"age": {"gte": 18}}]}'


@pytest.fixture
def backoffice_url(seeded_backoffice_url, monkeypatch) -> Iterator[str]:
    """The real back-office app on a loopback port."""
    from backoffice.app import create_app

    monkeypatch.setenv("BACKOFFICE_DATABASE_URL", seeded_backoffice_url)
    monkeypatch.setenv("BACKOFFICE_TOKEN", TOKEN)
    with served(create_app(settings.load())) as url:
        yield url


@pytest.fixture
def web(db_url, sessions, redis_url, seeded_backoffice_url, backoffice_url) -> Iterator:
    app = web_app(sessions, db_url, redis_url, backoffice_url, seeded_backoffice_url, backoffice_token=TOKEN)
    yield app
    app.extensions["database"].engine.dispose()


def count(client, token: str, rule: str, benefit: str = "", template_id: str = TEMPLATE):
    return client.post(
        "/admin/campaigns/audience",
        json={"rule": rule, "benefit": benefit, "template_id": template_id},
        headers={"X-CSRFToken": token, "Accept": "application/json"},
    )


def test_the_backoffice_publishes_each_benefits_eligibility_as_a_valid_rule(web, backoffice_url):
    catalogue = web.extensions["policy"].eligibility.all()
    assert {"低保", "特困供养", "临时救助", "医疗救助", "支出型贫困", "老年综合津贴", "高龄津贴"} <= catalogue.keys()
    for entry in catalogue.values():
        rules.parse(entry.rule)  # the platform's own validation
        assert entry.summary
    std = bo_standards.standard_for("310107")
    dibao = rules.dumps(catalogue["低保"].rule)
    # from the standard's own figures: income against the standard, savings per person by household size
    assert '"lte_standard": 1' in dibao and '"standard": "低保"' in dibao
    assert str(std.savings_limit(1)) in dibao and str(std.savings_limit(3)) in dibao
    tekun = rules.dumps(catalogue["特困供养"].rule)
    assert f'"gte": {std.figures["tekun"]["ages"]["elderly_from"]}' in tekun and '"living_alone": true' in tekun
    assert catalogue["高龄津贴"].rule == {
        "all": [{"hukou_district": {"in": ["310107", "310113"]}}, {"age": {"gte": 80}}]
    }
    assert {"age": {"gte": 65}} in catalogue["老年综合津贴"].rule["all"]  # the youngest allowance band


def test_the_count_is_the_full_audience_computations_figures(web, sessions, signed_in_web):
    deps = web.extensions["policy"]
    with deps.registry.connect() as conn:
        openids = [o for (o,) in conn.execute(text("SELECT openid FROM wechat_binding ORDER BY openid"))]
    assert len(openids) >= 3
    with sessions.begin() as sess:  # one withdrew push consent, one accepted the notices, the rest did not
        sess.add(ResidentConsent(openid=openids[0], subscribed=True, push_allowed=False))
        notice_consent.record(sess, openids[1], TEMPLATE, "accept", "popup_h5")
    boss, token = signed_in_web("boss")
    for rule, benefit in [
        (EVERY_ADULT, "价格临时补贴"),
        ('{"all": [{"age": {"gte": 60}}, {"benefit": {"not_held": "低保"}}]}', "高龄津贴"),
        (rules.dumps(deps.eligibility.all()["低保"].rule), "低保"),
    ]:
        answer = count(boss, token, rule, benefit)
        assert answer.status_code == 200, answer.get_data(as_text=True)
        with deps.registry.connect() as conn, sessions() as sess:
            aud = audience.Audience(
                rules.load(rule), benefit, audience.context(conn, date.today(), web_standards.fallback())
            )
            assert answer.json["counts"] == audience.counts(conn, sess, aud, TEMPLATE)
        assert answer.json["rule"] == rules.decode(rule)
    adults = count(boss, token, EVERY_ADULT, "价格临时补贴").json["counts"]
    assert adults["consent_withdrawn"] == 1 and adults["reachable"] == 1 and adults["matched"] > 100


def test_a_bad_rule_gets_a_chinese_reason_and_no_figures(web, signed_in_web):
    boss, token = signed_in_web("boss")
    answer = count(boss, token, '{"all": [{"age": {"gte": 80}}, {"benefit": {"not_held": "高龄金贴"}}]}')
    assert answer.status_code == 400 and "counts" not in answer.json
    assert any("不认识的待遇名称" in e for e in answer.json["errors"])
    assert count(boss, token, "age: [").status_code == 400
    not_an_object = boss.post("/admin/campaigns/audience", json=[1, 2], headers={"X-CSRFToken": token})
    assert not_an_object.status_code == 400
    assert boss.post("/admin/campaigns/notice", json=["x"], headers={"X-CSRFToken": token}).status_code == 200
    assert any("至少" in e or "规则" in e for e in count(boss, token, "").json["errors"])


def test_only_staff_with_a_valid_form_token_may_count(web, signed_in_web):
    agent, token = signed_in_web("agent")
    assert count(agent, token, EVERY_ADULT).status_code == 403
    boss, _ = signed_in_web("boss")
    assert count(boss, "stale", EVERY_ADULT).status_code == 400
    assert count(web.test_client(), "stale", EVERY_ADULT).status_code in (400, 401)


def test_the_page_carries_the_eligibility_and_only_administrators_get_the_rule_text(web, signed_in_web):
    boss, _ = signed_in_web("boss")
    page = boss.get("/admin/campaigns/new").get_data(as_text=True)
    data = json.loads(BUILDER_DATA.search(page).group(1))
    assert data["eligibility"]["低保"]["summary"].startswith("家庭人均月收入不高于低保标准")
    assert {"name": "普陀区", "code": "310107"} in data["districts"] and not data["raw"]
    assert '<input type="hidden" id="rule" name="rule"' in page and "规则原文" not in page
    root, _ = signed_in_web("root")
    assert '<textarea id="rule" name="rule"' in root.get("/admin/campaigns/new").get_data(as_text=True)


@pytest.fixture
def signed_in_web(web):
    return lambda username: sign_in(web, username)


@pytest.fixture
def sessions(db_url) -> sessionmaker:
    from common.migrate import upgrade

    upgrade("platform", db_url)
    return sessionmaker(make_engine(db_url), expire_on_commit=False)
