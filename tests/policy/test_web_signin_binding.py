"""A web chat sign-in is kept in the registry's bindings too (with an end, ``expires_at``), but it is not a
WeChat: a resident bound only that way has no WeChat a campaign can push to, in every count and at start."""

from __future__ import annotations

from datetime import date, datetime

from tests.policy.conftest import AS_OF, STANDARDS, People, load_people, resident_row
from tests.policy.helpers import NOTICE_TEMPLATE, new_campaign, opt_in, start
from web.policy import audience, campaigns
from web.policy.models import PolicyCampaign


def test_a_resident_signed_in_only_on_the_web_chat_is_counted_without_wechat(platform, registry_engine):
    crowd = People(households=[{"id": 1, "community_code": "310107005001", "monthly_income": 0, "savings": 0}])
    crowd.residents = [resident_row(1, 1, date(1940, 1, 1)), resident_row(2, 1, date(1941, 1, 1))]
    crowd.bindings = [
        {"openid": "oWechat2", "resident_id": 2, "expires_at": None},
        {"openid": "web:signed-in-1", "resident_id": 1, "expires_at": datetime(2026, 11, 24, 12, 0)},
    ]
    load_people(registry_engine, crowd)
    opt_in(platform, "oWechat2", "web:signed-in-1")
    campaign = new_campaign(platform)
    want = {"matched": 2, "reachable": 1, "no_wechat": 1}
    with registry_engine.connect() as conn, platform() as sess:
        aud = campaigns.audience_for(conn, sess.get(PolicyCampaign, campaign), STANDARDS, AS_OF)
        for found in (
            audience.quick_counts(conn, sess, aud, NOTICE_TEMPLATE),
            audience.counts(conn, sess, aud, NOTICE_TEMPLATE),
        ):
            assert {k: found[k] for k in want} == want
    started = start(platform, registry_engine, campaign)
    assert {k: started[k] for k in want} == want
