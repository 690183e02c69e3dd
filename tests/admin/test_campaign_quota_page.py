"""The campaign page says when WeChat's daily quota holds residents for the next day."""

from __future__ import annotations

from datetime import timedelta

import pytest

from web.policy import schedule
from web.policy.models import PolicyCampaign, PolicyDelivery

pytestmark = pytest.mark.usefixtures("redis_client")


def test_the_campaign_page_says_how_many_residents_wait_for_tomorrow(app, sessions, signed_in):
    tomorrow = schedule.now_local() + timedelta(days=1)
    with sessions.begin() as sess:
        c = PolicyCampaign(
            name="高龄津贴告知", benefit="高龄津贴", rule={"age": {"gte": 80}}, state="running", counts={}
        )
        sess.add(c)
        sess.flush()
        for i in range(1, 6):
            waits = i <= 3
            sess.add(
                PolicyDelivery(
                    campaign_id=c.id,
                    resident_id=i,
                    openid=f"oQuota{i}",
                    status="pending" if waits else "sent",
                    reason="daily_quota" if waits else None,
                    next_attempt_at=tomorrow if waits else None,
                )
            )
        campaign_id = c.id
    boss, _ = signed_in("boss")
    text = boss.get(f"/admin/campaigns/{campaign_id}").get_data(as_text=True)
    assert "今日额度已用完，剩余 3 人将于明天继续发送" in text

    with sessions.begin() as sess:  # the next day has come: nothing is said any more
        for d in sess.query(PolicyDelivery).filter_by(campaign_id=campaign_id, status="pending"):
            d.next_attempt_at = schedule.now_local() - timedelta(minutes=1)
    assert "今日额度已用完" not in boss.get(f"/admin/campaigns/{campaign_id}").get_data(as_text=True)
