"""WeChat's daily quota per message kind: a campaign larger than today's quota is spread over days
(the rest waits for the next day's sending hours) instead of failing half-way; a 45009 from WeChat
postpones too. Real Redis, PostgreSQL and SQLite, the WeChat stand-in."""

from __future__ import annotations

import json
import uuid
from datetime import datetime

import pytest
import requests

from tests.policy.helpers import APP_ID, ServedStandin, new_campaign, sender_for, start, subscribe
from tests.policy.test_delivery import DAY, clock, deliveries, elders, run_all  # noqa: F401 (fixtures)
from web.conversations.models import Conversation
from web.policy import campaigns, schedule
from web.policy.models import PolicyCampaign
from web.wechat_api.daily_quota import DailyQuota, parse_limits

TOMORROW_8 = datetime(2026, 11, 24, 8, 0)
FIELDS = {"thing1": "{name}", "thing2": "{benefit}"}  # within the field rules (thing: 20 characters)


@pytest.fixture
def standin():
    served = ServedStandin()
    yield served
    served.close()


def quota_sender(sessions, redis_client, standin, clock, limits):  # noqa: F811
    sender = sender_for(sessions, redis_client, standin.url)
    sender.quota = DailyQuota(redis_client, APP_ID + uuid.uuid4().hex[:6], limits, clock=lambda: clock["at"])
    return sender


def waiting(sessions, campaign_id):
    with sessions() as sess:
        return campaigns.waiting_for_quota(sess, campaign_id)


def test_parse_limits():
    assert parse_limits("template=100000, subscribe=5000") == {"template": 100000, "subscribe": 5000}
    assert parse_limits("") == {}
    with pytest.raises(ValueError):
        parse_limits("template=-1")


def test_next_day_send_time_respects_sending_hours():
    q = (schedule.parse_hhmm("21:00"), schedule.parse_hhmm("09:30"))
    assert schedule.next_day_send_time(DAY, None, *q) == datetime(2026, 11, 24, 9, 30)
    assert schedule.next_day_send_time(DAY, None, *q[:1], q[0]) == datetime(2026, 11, 24, 0, 0)  # never quiet
    assert schedule.next_day_send_time(DAY, datetime(2026, 11, 26, 14, 0), *q) == datetime(2026, 11, 26, 14, 0)


def test_an_audience_larger_than_todays_quota_continues_tomorrow(platform, elders, standin, redis_client, clock):  # noqa: F811
    sessions = platform
    subscribe(sessions, standin, "o1", "o2", "o3", "o4")
    cid = new_campaign(sessions, template_fields=FIELDS)
    start(sessions, elders, cid)
    sender = quota_sender(sessions, redis_client, standin, clock, {"template": 1000, "subscribe": 2})
    results = run_all(sender, sessions, cid)
    assert results[0].sent == 2 and results[0].wake_at == TOMORROW_8  # next day, after the quiet hours
    got = deliveries(sessions, cid)
    assert sorted(d.status for d in got.values()) == ["pending", "pending", "sent", "sent"]
    waiting_rows = [d for d in got.values() if d.status == "pending"]
    assert {(d.reason, d.next_attempt_at, d.errcode) for d in waiting_rows} == {("daily_quota", TOMORROW_8, None)}
    assert len(standin.sent()) == 2  # nothing was sent past the quota, nothing refused by WeChat
    assert waiting(sessions, cid) == 2
    assert campaigns.next_due(sessions, cid) == TOMORROW_8  # policy.wake waits for it, the ranges do not
    with sessions() as sess:
        assert sess.get(PolicyCampaign, cid).state == "running"  # not failed, not completed

    clock["at"] = datetime(2026, 11, 24, 7, 0)  # the new day, still in quiet hours: nothing goes
    run_all(sender, sessions, cid)
    assert len(standin.sent()) == 2
    clock["at"] = datetime(2026, 11, 24, 8, 0, 5)
    assert waiting(sessions, cid) == 0
    run_all(sender, sessions, cid)
    got = deliveries(sessions, cid)
    assert {d.status for d in got.values()} == {"sent"} and len(standin.sent()) == 4
    assert [len(standin.notices_to(f"o{i}")) for i in range(1, 5)] == [1, 1, 1, 1]  # once each
    assert campaigns.next_due(sessions, cid) is None
    with sessions() as sess:
        assert sess.get(PolicyCampaign, cid).state == "completed"


def test_customer_service_texts_are_not_held_by_the_notice_quota(platform, elders, standin, redis_client, clock):  # noqa: F811
    sessions = platform
    subscribe(sessions, standin, "o1", "o2", "o3", "o4")
    cid = new_campaign(sessions, template_fields=FIELDS)
    start(sessions, elders, cid)
    sender = quota_sender(sessions, redis_client, standin, clock, {"subscribe": 0})
    assert sender.quota.take("text") and sender.quota.take("kf")  # kinds without a daily limit
    run_all(sender, sessions, cid)
    assert standin.sent() == [] and waiting(sessions, cid) == 4


def test_a_closed_window_whose_notice_has_no_quota_left_waits_for_tomorrow(
    platform,
    elders,  # noqa: F811 (a fixture imported from test_delivery)
    standin,
    redis_client,
    clock,  # noqa: F811
):
    """The window text meets 45015 (WeChat closed the window); its fallback, a notice, finds today's
    notice quota used: the resident gets the notice tomorrow, not nothing."""
    sessions = platform
    subscribe(sessions, standin, "o1")
    with sessions.begin() as sess:  # the platform saw o1 write recently; WeChat's window is closed all the same
        sess.add(Conversation(sender_id="o1", channel="wechat", state="bot", last_message_at=datetime.now()))
    cid = new_campaign(sessions, template_fields=FIELDS, window_text="{name}您好，可以申请{benefit}了。")
    start(sessions, elders, cid)
    sender = quota_sender(sessions, redis_client, standin, clock, {"subscribe": 0})
    results = run_all(sender, sessions, cid)
    assert results[0].wake_at == TOMORROW_8
    d = deliveries(sessions, cid)["o1"]
    assert (d.status, d.reason, d.next_attempt_at, d.errcode) == ("pending", "daily_quota", TOMORROW_8, 45015)
    assert standin.notices_to("o1") == [] and waiting(sessions, cid) == 1


def test_a_45009_from_wechat_postpones_to_the_next_day(platform, elders, standin, redis_client, clock):  # noqa: F811
    """WeChat's own count ran out first (e.g. other systems share the account): the deliveries wait."""
    sessions = platform
    subscribe(sessions, standin, "o1", "o2", "o3", "o4")
    standin.standin.daily_quota = {"notice": 1}
    cid = new_campaign(sessions, template_fields=FIELDS, quiet_end="09:30")
    start(sessions, elders, cid)
    sender = quota_sender(sessions, redis_client, standin, clock, {"subscribe": 100})
    results = run_all(sender, sessions, cid)
    resume = datetime(2026, 11, 24, 9, 30)
    assert results[0].sent == 1 and results[0].wake_at == resume
    got = deliveries(sessions, cid)
    assert sorted(d.status for d in got.values()) == ["pending", "pending", "pending", "sent"]
    refused = [d for d in got.values() if d.errcode == 45009]
    assert len(refused) == 1 and refused[0].status == "pending"  # not failed
    assert {d.next_attempt_at for d in got.values() if d.status == "pending"} == {resume}
    assert sender.quota.used("subscribe") == 100  # nothing more of the kind is tried today
    assert waiting(sessions, cid) == 3

    clock["at"] = datetime(2026, 11, 24, 9, 30, 1)
    standin.standin.daily_calls.clear()  # WeChat's new day
    standin.standin.daily_quota = {"notice": 10}
    run_all(sender, sessions, cid)
    assert {d.status for d in deliveries(sessions, cid).values()} == {"sent"}
    assert [len(standin.notices_to(f"o{i}")) for i in range(1, 5)] == [1, 1, 1, 1]


def test_the_standin_answers_45009_past_a_kinds_daily_quota(standin):
    standin.standin.daily_quota = {"template": 1, "notice": 1}
    standin.subscribe("oQ")
    token = requests.post(
        standin.url + "/cgi-bin/stable_token",
        json={"grant_type": "client_credential", "appid": APP_ID, "secret": standin.standin.app_secret},
        timeout=5,
    ).json()["access_token"]

    def send(path: str, body: dict) -> int:
        payload = json.dumps(body, ensure_ascii=False).encode("utf-8")  # as WechatApi sends it
        answer = requests.post(standin.url + path, params={"access_token": token}, data=payload, timeout=5)
        return answer.json()["errcode"]

    template = {"touser": "oQ", "template_id": "TPL_a", "data": {"thing1": {"value": "高龄津贴"}}}
    assert send("/cgi-bin/message/template/send", template) == 0
    assert send("/cgi-bin/message/template/send", template) == 45009
    notice = {"touser": "oQ", "template_id": "TPL_b", "data": {"thing1": {"value": "高龄津贴"}}}
    assert send("/cgi-bin/message/subscribe/bizsend", notice) != 45009  # counted (WeChat counts calls)
    assert send("/cgi-bin/message/subscribe/bizsend", notice) == 45009
    standin.standin.daily_calls.clear()  # the next day
    assert send("/cgi-bin/message/template/send", template) == 0
