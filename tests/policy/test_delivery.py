"""Sending: quiet hours, the weekly cap across campaigns, consent, the 48-hour window, WeChat's errors."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from tests.policy.conftest import People, load_people, resident_row
from tests.policy.helpers import NOTICE_TEMPLATE, ServedStandin, new_campaign, opt_in, sender_for, start, subscribe
from web.conversations.models import Conversation
from web.outbound.models import OutboundMessage, ResidentConsent
from web.policy import campaigns, schedule
from web.policy.models import PolicyCampaign, PolicyDelivery
from web.subscriptions import consent as notice_consent

NIGHT = datetime(2026, 11, 23, 22, 30)
DAY = datetime(2026, 11, 23, 10, 0)


# ---- quiet hours (pure) -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "at, quiet",
    [
        (datetime(2026, 11, 23, 21, 0), True),
        (datetime(2026, 11, 23, 23, 59), True),
        (datetime(2026, 11, 24, 0, 0), True),
        (datetime(2026, 11, 24, 7, 59), True),
        (datetime(2026, 11, 24, 8, 0), False),
        (datetime(2026, 11, 23, 20, 59), False),
    ],
)
def test_quiet_hours_span_midnight(at, quiet):
    assert schedule.in_quiet_hours(at, time(21, 0), time(8, 0)) is quiet


def test_quiet_hours_end_and_start_time():
    q = (time(21, 0), time(8, 0))
    assert schedule.quiet_ends_at(datetime(2026, 11, 23, 22, 0), *q) == datetime(2026, 11, 24, 8, 0)
    assert schedule.quiet_ends_at(datetime(2026, 11, 24, 6, 0), *q) == datetime(2026, 11, 24, 8, 0)
    assert schedule.quiet_ends_at(DAY, *q) == DAY
    assert schedule.in_quiet_hours(DAY, time(12, 0), time(14, 0)) is False
    assert schedule.in_quiet_hours(datetime(2026, 11, 23, 13, 0), time(12, 0), time(14, 0)) is True
    assert schedule.in_quiet_hours(DAY, time(9, 0), time(9, 0)) is False
    # a start time that falls in quiet hours waits for the morning
    assert schedule.next_send_time(DAY, datetime(2026, 11, 23, 21, 30), *q) == datetime(2026, 11, 24, 8, 0)


# ---- sending ------------------------------------------------------------------------------------


@pytest.fixture
def standin():
    served = ServedStandin()
    yield served
    served.close()


@pytest.fixture
def elders(registry_engine):
    """Five residents over 80 (ids 1–5, openids o1–o5; o5's resident already has 高龄津贴) and one unbound."""
    people = People(
        households=[
            {"id": i, "community_code": "310107005001", "monthly_income": 1000, "savings": 0} for i in range(1, 7)
        ]
    )
    for i in range(1, 7):
        people.residents.append(resident_row(i, i, date(1940, 1, i), benefits=["高龄津贴"] if i == 5 else []))
        if i <= 5:
            people.bindings.append({"openid": f"o{i}", "resident_id": i})
    load_people(registry_engine, people)
    return registry_engine


@pytest.fixture
def clock(monkeypatch):
    """Campaign time, set by the test (Asia/Shanghai wall clock)."""
    now = {"at": DAY}
    monkeypatch.setattr(schedule, "now_local", lambda: now["at"])
    return now


def deliveries(sessions, campaign_id):
    with sessions() as sess:
        return {
            d.openid: d for d in sess.scalars(select(PolicyDelivery).where(PolicyDelivery.campaign_id == campaign_id))
        }


def run_all(sender, sessions, campaign_id):
    results = [sender.run_batch(campaign_id, first, last) for first, last in campaigns.ranges(sessions, campaign_id)]
    campaigns.maybe_complete(sessions, campaign_id)
    return results


def test_audience_counts_and_sends_once_each(platform, elders, standin, redis_client, clock):
    sessions = platform
    subscribe(sessions, standin, "o1", "o2", "o3", "o4", "o5")
    cid = new_campaign(sessions)
    counts = start(sessions, elders, cid)
    assert counts == {
        "matched": 6,
        "reachable": 4,
        "already_held": 1,
        "no_wechat": 1,
        "consent_withdrawn": 0,
        "not_opted_in": 0,
        "already_told": 0,  # by another campaign of the same benefit
    }
    sender = sender_for(sessions, redis_client, standin.url)
    run_all(sender, sessions, cid)
    run_all(sender, sessions, cid)  # a second pass (a redelivered task) sends nothing again
    got = deliveries(sessions, cid)
    assert {o: d.status for o, d in got.items()} == {f"o{i}": "sent" for i in range(1, 5)}
    assert [len(standin.notices_to(f"o{i}")) for i in range(1, 6)] == [1, 1, 1, 1, 0]
    message = standin.notices_to("o1")[0]
    assert message["data"] == {"thing1": {"value": "高龄津贴"}, "thing2": {"value": "居民1您好，您可能可以领取"}}
    assert message["page"].startswith("http://web.test/policy/r/")
    assert [c for c in standin.standin.api_calls if c["kind"] == "template"] == []
    with sessions() as sess:
        assert sess.get(PolicyCampaign, cid).state == "completed"
        out = sess.get(OutboundMessage, got["o1"].outbound_id)
        assert (out.status, out.reason, out.wechat_msgid) == ("sent", "campaign", got["o1"].msgid)


def test_quiet_hours_hold_pushes_until_morning(platform, elders, standin, redis_client, clock):
    sessions = platform
    subscribe(sessions, standin, "o1", "o2", "o3", "o4")
    cid = new_campaign(sessions)
    clock["at"] = NIGHT
    start(sessions, elders, cid)
    sender = sender_for(sessions, redis_client, standin.url)
    results = run_all(sender, sessions, cid)
    assert results[0].wake_at == datetime(2026, 11, 24, 8, 0) and results[0].sent == 0
    assert standin.sent() == []
    clock["at"] = datetime(2026, 11, 24, 8, 0, 5)
    run_all(sender, sessions, cid)
    assert len(standin.sent()) == 4


def test_weekly_cap_counts_every_campaign_and_postpones_rather_than_drops(
    platform, elders, standin, redis_client, clock
):
    sessions = platform
    subscribe(sessions, standin, "o1", "o2", "o3", "o4")
    sender = sender_for(sessions, redis_client, standin.url)
    first_push = clock["at"]
    for n, benefit in enumerate(("长护险", "适老化改造")):  # two campaigns this week reach o1..o4
        cid = new_campaign(sessions, name=f"活动{n}", benefit=benefit)
        start(sessions, elders, cid)
        run_all(sender, sessions, cid)
        clock["at"] += timedelta(days=1)
    third = new_campaign(sessions, name="第三个", cap_per_week=2)
    start(sessions, elders, third)
    results = run_all(sender, sessions, third)
    waiting = deliveries(sessions, third).values()
    assert {(d.status, d.reason) for d in waiting} == {("pending", "frequency_cap")}  # postponed, not dropped
    free = first_push + timedelta(days=7)  # the first push leaves the week's window
    assert all(free < d.next_attempt_at <= free + timedelta(seconds=2) for d in waiting)
    assert results[0].again_in is not None and results[0].again_in > 4 * 86400  # the batch comes back then
    with sessions() as sess:
        assert sess.get(PolicyCampaign, third).state == "running"
        assert campaigns.waiting_for_quota(sess, third, "frequency_cap") == 4
    assert len(standin.notices_to("o1")) == 2
    clock["at"] = free + timedelta(seconds=5)
    run_all(sender, sessions, third)
    assert {d.status for d in deliveries(sessions, third).values()} == {"sent"}
    assert len(standin.notices_to("o1")) == 3
    with sessions() as sess:
        assert sess.get(PolicyCampaign, third).state == "completed"


def test_withdrawn_consent_is_counted_and_never_pushed(platform, elders, standin, redis_client, clock):
    sessions = platform
    subscribe(sessions, standin, "o1", "o2", "o3", "o4")
    with sessions.begin() as sess:
        sess.add(ResidentConsent(openid="o2", subscribed=True, push_allowed=False, reason="退订"))
        sess.add(ResidentConsent(openid="o3", subscribed=False, push_allowed=False, reason="unsubscribe"))
    cid = new_campaign(sessions)
    counts = start(sessions, elders, cid)
    assert counts["consent_withdrawn"] == 2 and counts["reachable"] == 2
    with sessions.begin() as sess:  # o4 says 退订 after the audience was computed, before the push
        sess.add(ResidentConsent(openid="o4", subscribed=True, push_allowed=False, reason="退订"))
    run_all(sender_for(sessions, redis_client, standin.url), sessions, cid)
    got = deliveries(sessions, cid)
    assert (got["o1"].status, got["o4"].status, got["o4"].reason) == ("sent", "skipped", "consent_withdrawn")
    assert standin.notices_to("o2") == standin.notices_to("o3") == standin.notices_to("o4") == []


def test_window_text_when_the_resident_wrote_recently(platform, elders, standin, redis_client, clock):
    sessions = platform
    subscribe(sessions, standin, "o1", "o2", "o3", "o4")
    standin.standin.send_text("o1", "你好")  # o1 writes: WeChat opens its 48-hour window
    with sessions.begin() as sess:
        sess.add(Conversation(sender_id="o1", channel="wechat", state="bot", last_message_at=datetime.now()))
    cid = new_campaign(sessions, window_text="{name}您好，您可以申请{benefit}了，回复“申请”就能办。")
    start(sessions, elders, cid)
    run_all(sender_for(sessions, redis_client, standin.url), sessions, cid)
    got = deliveries(sessions, cid)
    assert (got["o1"].channel, got["o2"].channel) == ("text", "notice")
    assert standin.standin.inbox("o1")[-1]["text"]["content"] == "居民1您好，您可以申请高龄津贴了，回复“申请”就能办。"


def test_wechat_errors_transient_retried_permanent_recorded(platform, elders, standin, redis_client, clock):
    sessions = platform
    subscribe(sessions, standin, "o1", "o2", "o3")
    opt_in(sessions, "o4")  # the platform thinks o4 accepted; WeChat says 43101 (turned off since)
    cid = new_campaign(sessions)
    start(sessions, elders, cid)
    standin.standin.inject(-1)  # WeChat busy once
    sender = sender_for(sessions, redis_client, standin.url)
    results = run_all(sender, sessions, cid)
    got = deliveries(sessions, cid)
    assert got["o1"].status == "pending" and got["o1"].errcode == -1 and got["o1"].next_attempt_at > clock["at"]
    assert (got["o4"].status, got["o4"].errcode) == ("failed", 43101)
    with sessions() as sess:
        assert not notice_consent.accepted(sess, "o4", NOTICE_TEMPLATE)  # no more notices until o4 opts in again
    assert results[0].again_in is not None
    clock["at"] += timedelta(seconds=results[0].again_in + 1)
    run_all(sender, sessions, cid)
    got = deliveries(sessions, cid)
    assert (got["o1"].status, got["o1"].attempts) == ("sent", 2)
    assert len(standin.notices_to("o1")) == 1


def test_a_refused_template_pauses_the_campaign(platform, elders, standin, redis_client, clock):
    sessions = platform
    standin.standin.notice_templates = {NOTICE_TEMPLATE}  # TPL_retired was deleted from the account
    standin.subscribe("o1", "o2", "o3", "o4", template_id="TPL_retired")
    opt_in(sessions, "o1", "o2", "o3", "o4", template_id="TPL_retired")
    cid = new_campaign(sessions, template_id="TPL_retired")
    start(sessions, elders, cid)
    run_all(sender_for(sessions, redis_client, standin.url), sessions, cid)
    with sessions() as sess:
        c = sess.get(PolicyCampaign, cid)
        assert c.state == "paused" and c.counts["error"].startswith("40037")
    assert {d.status for d in deliveries(sessions, cid).values()} == {"pending"}


def test_pause_resume_cancel(platform, elders, standin, redis_client, clock):
    sessions = platform
    subscribe(sessions, standin, "o1", "o2", "o3", "o4")
    cid = new_campaign(sessions)
    start(sessions, elders, cid)
    with sessions.begin() as sess:
        campaigns.transition(sess, cid, "pause")
    sender = sender_for(sessions, redis_client, standin.url)
    assert all(r.stopped for r in run_all(sender, sessions, cid)) and standin.sent() == []
    with pytest.raises(campaigns.TransitionRefused):
        with sessions.begin() as sess:
            campaigns.transition(sess, cid, "start")
    with sessions.begin() as sess:
        campaigns.transition(sess, cid, "cancel")
    assert {d.status for d in deliveries(sessions, cid).values()} == {"cancelled"}
