"""The builder's live count (``audience.quick_counts``) gives exactly the full computation's figures
(``audience.counts``: every matched resident streamed and classified one by one), whatever the registry, the
rule and the platform's records.

Property-based (hypothesis), on SQLite and on PostgreSQL: random registries whose residents have no WeChat,
one, or two (the least openid is the one pushed to) and web chat sign-ins (never pushed to); random withdrawn
consent, acceptances of the campaign's template and deliveries of earlier campaigns, of the same benefit and
of another, in every status.
"""

from __future__ import annotations

from datetime import date
from itertools import count

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete

from tests.policy.conftest import STANDARDS, People, load_people
from tests.policy.test_compile_property import AS_OF_DAYS, leaf, registries, rule_data
from web.outbound.models import ResidentConsent
from web.policy import audience, compiler, registry, rules
from web.policy.models import DELIVERY_STATES, PolicyCampaign, PolicyDelivery
from web.subscriptions import consent as notice_consent
from web.subscriptions.models import NoticeConsent

LATER = date(2030, 1, 1)
EVERYONE = {"age": {"gte": 0}}
TEMPLATES = count(1)  # a template per example: each process keeps who accepted one for minutes


def more_bindings(draw: st.DrawFn, people: People) -> None:
    """Second WeChats, less and greater than the first, and web chat sign-ins, on random residents."""
    for r in people.residents:
        rid = r["id"]
        if draw(st.booleans()):
            people.bindings.append({"openid": draw(st.sampled_from([f"a{rid}", f"p{rid}"])), "resident_id": rid})
        if draw(st.booleans()):
            people.bindings.append({"openid": f"0web{rid}", "resident_id": rid, "expires_at": LATER})
    for b in people.bindings:
        b.setdefault("expires_at", None)


def platform_records(draw: st.DrawFn, sessions, people: People, target: str | None, template: str) -> None:
    """Per openid: consent kept, withdrawn, unsubscribed or never recorded; the template accepted, refused
    or never answered. Per resident and earlier campaign: a delivery in any status, or none."""
    with sessions.begin() as sess:
        for model in (PolicyDelivery, PolicyCampaign, ResidentConsent, NoticeConsent):
            sess.execute(delete(model))
        for b in people.bindings:
            consent = draw(st.sampled_from([None, (False, True), (True, False), (True, True)]))
            if consent is not None:
                sess.add(ResidentConsent(openid=b["openid"], subscribed=consent[0], push_allowed=consent[1]))
            answer = draw(st.sampled_from([None, "accept", "accept", "reject"]))
            if answer is not None:
                notice_consent.record(sess, b["openid"], template, answer, "popup_h5")
        for benefit in (target or "低保", "残疾人两项补贴"):  # the audience's benefit, and another
            campaign = PolicyCampaign(name="更早的活动", benefit=benefit, state="completed")
            sess.add(campaign)
            sess.flush()
            for r in people.residents:
                status = draw(st.sampled_from([None, *DELIVERY_STATES]))
                if status is not None:
                    sess.add(PolicyDelivery(campaign_id=campaign.id, resident_id=r["id"], openid="o", status=status))


def test_the_live_count_equals_the_full_computation(registry_engine, platform):
    dialect = registry_engine.dialect.name

    @settings(
        max_examples=40,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(
        world=AS_OF_DAYS.flatmap(lambda day: st.tuples(st.just(day), registries(day))),
        data=st.lists(leaf | rule_data, min_size=2, max_size=2).map(lambda rs: [EVERYONE, *rs]),
        target=st.sampled_from([None, "高龄津贴", "低保"]),
        with_template=st.booleans(),
        draw=st.data(),
    )
    def check(world: tuple[date, People], data: list, target: str | None, with_template: bool, draw) -> None:
        as_of, people = world
        more_bindings(draw.draw, people)
        load_people(registry_engine, people)
        template = f"TPL_property_{next(TEMPLATES)}"
        platform_records(draw.draw, platform, people, target, template)
        with registry_engine.connect() as conn, platform() as sess:
            region = registry.load_region(conn)
            for rule_json in data:
                ctx = compiler.Context(as_of, STANDARDS, region, dialect)
                aud = audience.Audience(rules.parse(rule_json), target, ctx)
                chosen = template if with_template else None
                assert audience.quick_counts(conn, sess, aud, chosen) == audience.counts(conn, sess, aud, chosen), (
                    rules.dumps(rule_json)
                )

    check()
