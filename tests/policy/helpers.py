"""Building campaigns and serving the WeChat stand-in for the campaign tests."""

from __future__ import annotations

from datetime import date
from typing import Any

import redis
from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker

from tests.policy.conftest import AS_OF, STANDARDS
from tests.serving import base_url, serve
from tools.wechat_standin import Resident, WechatStandin
from web.outbound.wechat_sender import EarlyReceipts
from web.policy import campaigns
from web.policy.delivery import CampaignSender
from web.policy.models import PolicyCampaign
from web.policy.pacing import PushPacer
from web.subscriptions import consent as notice_consent
from web.wechat_api import WechatApi

APP_ID, APP_SECRET = "wx_policy_test", "policy-test-secret"
NOTICE_TEMPLATE = "TPL_policy_1"  # the campaigns' subscription-notice template


def opt_in(sessions: sessionmaker, *openids: str, template_id: str = NOTICE_TEMPLATE) -> None:
    """The platform's record of the residents' consent, as subscribe_msg_popup_event leaves it
    (the event itself: tests/wechat/subscriptions/test_notices.py)."""
    with sessions.begin() as sess:
        for openid in openids:
            notice_consent.record(sess, openid, template_id, "accept", "popup_h5")


def subscribe(sessions: sessionmaker, served: ServedStandin, *openids: str) -> None:
    """Opted in on both sides: WeChat's and the platform's record."""
    served.subscribe(*openids)
    opt_in(sessions, *openids)


class ServedStandin:
    """The WeChat stand-in on a loopback port; by default its callbacks (receipts) reach nobody."""

    def __init__(self, callback: str = "http://127.0.0.1:9/wechat", token: str = "tok", app_id: str = APP_ID) -> None:
        self.standin = WechatStandin(
            callback, token, app_id, APP_SECRET, receipt_delay=0.05, token_quota=10**6, retries=0
        )
        self.server = serve(self.standin.app)
        self.url = base_url(self.server)

    def subscribe(self, *openids: str, template_id: str = NOTICE_TEMPLATE) -> None:
        """The residents follow the account and accepted the campaigns' subscription template (at WeChat)."""
        with self.standin.lock:
            for openid in openids:
                self.standin.residents.setdefault(openid, Resident()).notices[template_id] = "accept"

    def templates_to(self, openid: str) -> list[dict[str, Any]]:
        return [m for m in self.standin.inbox(openid) if m["kind"] == "template"]

    def notices_to(self, openid: str) -> list[dict[str, Any]]:
        return self.standin.notices_to(openid)

    def sent(self) -> list[dict[str, Any]]:
        with self.standin.lock:
            return [c for c in self.standin.api_calls if c["errcode"] == 0]

    def close(self) -> None:
        self.server.shutdown()


def sender_for(sessions: sessionmaker, client: redis.Redis, api_base: str) -> CampaignSender:
    api = WechatApi(client, api_base, APP_ID, APP_SECRET, retries=0)
    return CampaignSender(
        sessions, api, PushPacer(client), EarlyReceipts(client), lambda d: f"http://web.test/policy/r/{d}"
    )


def new_campaign(sessions: sessionmaker, **kw: Any) -> int:
    values: dict[str, Any] = {
        "name": "测试活动",
        "benefit": "高龄津贴",
        "rule": {"age": {"gte": 80}},
        "template_id": NOTICE_TEMPLATE,
        "template_fields": {"thing1": "{benefit}", "thing2": "{name}您好，您可能可以领取"},
        "apply_payload": "/eldercare_allowance",
        "quiet_start": "21:00",
        "quiet_end": "08:00",
        "rate_per_second": 200.0,
        "state": "draft",
        "counts": {},
    }
    values.update(kw)
    with sessions.begin() as sess:
        c = PolicyCampaign(**values)
        sess.add(c)
        sess.flush()
        return c.id


def start(sessions: sessionmaker, registry: Engine, campaign_id: int, as_of: date = AS_OF) -> dict[str, int]:
    with sessions.begin() as sess:
        campaigns.transition(sess, campaign_id, "start")
    return campaigns.prepare(sessions, registry, STANDARDS, campaign_id, as_of)
