"""Monthly campaigns: each month the audience is computed again and residents who newly match are told;
nobody is told twice of the same benefit, by this campaign's later runs or by another campaign."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import select

from tests.policy.conftest import AS_OF, STANDARDS, People, load_people, resident_row
from tests.policy.helpers import NOTICE_TEMPLATE, ServedStandin, new_campaign, sender_for, start, subscribe
from web.policy import audience, campaigns, schedule
from web.policy.models import PolicyCampaign, PolicyDelivery
from web.worker import celery_app

DAY = datetime(2026, 11, 23, 10, 0)
NEXT_RUN = datetime(2026, 12, 1, 8, 0)  # the first day of the next month, when quiet hours end


@pytest.fixture
def clock(monkeypatch):
    now = {"at": DAY}
    monkeypatch.setattr(schedule, "now_local", lambda: now["at"])
    return now


@pytest.fixture
def standin():
    served = ServedStandin()
    yield served
    served.close()


def people(n: int) -> People:
    """``n`` residents over 80 (ids 1…n, openids o1…on), each alone in a household."""
    crowd = People(
        households=[
            {"id": i, "community_code": "310107005001", "monthly_income": 1000, "savings": 0} for i in range(1, n + 1)
        ]
    )
    for i in range(1, n + 1):
        crowd.residents.append(resident_row(i, i, date(1940, 1, i)))
        crowd.bindings.append({"openid": f"o{i}", "resident_id": i})
    return crowd


def run(sessions, registry_engine, sender, campaign_id: int) -> None:
    """What the workers do for one run: the audience, every batch, and the end of the run."""
    campaigns.prepare(sessions, registry_engine, STANDARDS, campaign_id, AS_OF)
    for first, last in campaigns.ranges(sessions, campaign_id):
        sender.run_batch(campaign_id, first, last)
    campaigns.maybe_complete(sessions, campaign_id)


def told(sessions, campaign_id: int) -> dict[str, str]:
    with sessions() as sess:
        rows = sess.scalars(select(PolicyDelivery).where(PolicyDelivery.campaign_id == campaign_id))
        return {d.openid: d.status for d in rows}


def test_each_month_only_who_newly_matches_is_told_and_never_twice(
    platform, registry_engine, standin, redis_client, clock
):
    sessions = platform
    load_people(registry_engine, people(3))
    subscribe(sessions, standin, *(f"o{i}" for i in range(1, 6)))
    sender = sender_for(sessions, redis_client, standin.url)
    monthly = new_campaign(sessions, repeat_monthly=True, cap_per_week=14)
    start(sessions, registry_engine, monthly)
    for first, last in campaigns.ranges(sessions, monthly):
        sender.run_batch(monthly, first, last)
    campaigns.maybe_complete(sessions, monthly)
    with sessions() as sess:
        c = sess.get(PolicyCampaign, monthly)
        assert (c.state, c.next_run_at, c.runs) == ("running", NEXT_RUN, 1)  # waits for next month, not completed
    assert campaigns.due_runs(sessions) == []  # not yet
    load_people(registry_engine, people(5))  # two more residents turned 80 (or were registered) this month
    clock["at"] = NEXT_RUN
    assert campaigns.due_runs(sessions) == [monthly]
    assert campaigns.due_runs(sessions) == []  # taken once, whatever the number of beats
    run(sessions, registry_engine, sender, monthly)
    assert told(sessions, monthly) == {f"o{i}": "sent" for i in range(1, 6)}
    assert [len(standin.notices_to(f"o{i}")) for i in range(1, 6)] == [1, 1, 1, 1, 1]  # nobody twice
    with sessions() as sess:
        c = sess.get(PolicyCampaign, monthly)
        assert (c.state, c.runs, c.next_run_at) == ("running", 2, datetime(2027, 1, 1, 8, 0))
    other = new_campaign(sessions, name="另一个高龄津贴活动", cap_per_week=14)  # the same benefit again
    counts = start(sessions, registry_engine, other)
    assert counts["already_told"] == 5 and counts["reachable"] == 0
    assert told(sessions, other) == {}
    with sessions.begin() as sess:
        campaigns.transition(sess, monthly, "cancel")
    clock["at"] = datetime(2027, 1, 1, 8, 0)
    assert campaigns.due_runs(sessions) == []  # a cancelled campaign does not come back


def test_the_live_count_subtracts_who_another_campaign_already_told_as_the_send_does(
    platform, registry_engine, standin, clock
):
    """The builder's count (``quick_counts``), the full computation and the start give the same figures:
    residents another campaign of the same benefit told (or may have) are ``already_told``, not reachable;
    a campaign's own deliveries are not another's telling (a draft edited, a monthly run)."""
    sessions = platform
    load_people(registry_engine, people(5))
    subscribe(sessions, standin, *(f"o{i}" for i in range(1, 6)))
    first = new_campaign(sessions, cap_per_week=14)
    start(sessions, registry_engine, first)
    with sessions.begin() as sess:  # o1, o2 told; o3 maybe told (the worker died mid-call); o4 failed
        for rid, status in ((1, "sent"), (2, "sent"), (3, "in_doubt"), (4, "failed")):
            sess.execute(
                PolicyDelivery.__table__.update()
                .where(PolicyDelivery.campaign_id == first, PolicyDelivery.resident_id == rid)
                .values(status=status)
            )
        sess.execute(
            PolicyDelivery.__table__.delete().where(
                PolicyDelivery.campaign_id == first, PolicyDelivery.resident_id == 5
            )
        )
    second = new_campaign(sessions, name="另一个高龄津贴活动", cap_per_week=14)
    other_benefit = new_campaign(sessions, name="低保告知", benefit="低保", cap_per_week=14)
    expected = {"matched": 5, "reachable": 2, "already_told": 3}
    with registry_engine.connect() as conn, sessions() as sess:
        for campaign_id, want in ((second, expected), (first, {**expected, "reachable": 5, "already_told": 0})):
            c = sess.get(PolicyCampaign, campaign_id)
            aud = campaigns.audience_for(conn, c, STANDARDS, AS_OF)
            quick = audience.quick_counts(conn, sess, aud, c.template_id)
            assert {k: quick[k] for k in want} == want
            assert quick == audience.counts(conn, sess, aud, c.template_id)
        unsaved = audience.Audience(aud.rule, "高龄津贴", aud.ctx)  # the builder before the first save
        assert audience.quick_counts(conn, sess, unsaved, NOTICE_TEMPLATE)["already_told"] == 3
        c = sess.get(PolicyCampaign, other_benefit)
        assert audience.quick_counts(conn, sess, campaigns.audience_for(conn, c, STANDARDS, AS_OF))["already_told"] == 0
        live = audience.quick_counts(
            conn,
            sess,
            campaigns.audience_for(conn, sess.get(PolicyCampaign, second), STANDARDS, AS_OF),
            NOTICE_TEMPLATE,
        )
    assert start(sessions, registry_engine, second) == live  # what the start does is what the builder showed
    assert sorted(told(sessions, second)) == ["o4", "o5"]


def test_the_beat_asks_for_monthly_runs():
    import web.policy.tasks  # noqa: F401 - registers the tasks

    assert celery_app.conf.beat_schedule["policy_recur"]["task"] == "policy.recur"
    assert "policy.recur" in celery_app.tasks
