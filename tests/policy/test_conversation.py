"""Reply to apply and 退订 end to end: the real back-office, actions, Rasa and web (``live_stack``),
residents speaking through the WeChat stand-in's resident side (signed callbacks to /wechat)."""

from __future__ import annotations

import pytest
import requests
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from common.db import make_engine
from tests.waiting import wait_for
from tools.wechat_standin import WechatStandin
from web.conversations.models import Message
from web.outbound.models import ResidentConsent
from web.policy import schedule
from web.policy.models import PolicyCampaign, PolicyDelivery

pytestmark = pytest.mark.stack

APPLY = '/assistance_apply{"assistance_type": "临时救助"}'


@pytest.fixture(scope="module")
def wechat(live_stack):
    env = live_stack.env
    return WechatStandin(live_stack.url("web") + "/wechat", env["WECHAT_TOKEN"], env["WECHAT_APP_ID"], "unused")


@pytest.fixture(scope="module")
def platform(live_stack) -> sessionmaker:
    return sessionmaker(make_engine(live_stack.env["DATABASE_URL"]), expire_on_commit=False)


@pytest.fixture(scope="module")
def bound_openid(live_stack) -> tuple[str, int]:
    """A seeded resident with a WeChat binding (the demo openids of the back-office seed)."""
    engine = make_engine(live_stack.env["BACKOFFICE_DATABASE_URL"])
    from web.policy import registry

    with engine.connect() as conn:
        openid, resident_id = conn.execute(
            select(registry.resident.c.openid, registry.resident.c.id)
            .where(registry.resident.c.openid.is_not(None))
            .order_by(registry.resident.c.openid)
        ).first()
    return openid, resident_id


def pushed(platform: sessionmaker, openid: str, resident_id: int, payload: str = APPLY) -> int:
    """What the campaign engine leaves behind once it has pushed to this resident."""
    with platform.begin() as sess:
        c = PolicyCampaign(
            name="价格临时补贴告知",
            benefit="价格临时补贴",
            rule={"age": {"gte": 18}},
            template_id="TPL",
            apply_keyword="申请",
            apply_payload=payload,
            state="completed",
            counts={},
            started_at=schedule.now_local(),
        )
        sess.add(c)
        sess.flush()
        sess.add(
            PolicyDelivery(
                campaign_id=c.id,
                resident_id=resident_id,
                openid=openid,
                name="",
                status="sent",
                sent_at=schedule.now_local(),
                channel="template",
            )
        )
        return c.id


def tracker(live_stack, sender: str) -> dict:
    resp = requests.get(
        f"{live_stack.url('rasa')}/conversations/{sender}/tracker",
        params={"token": live_stack.env["RASA_TOKEN"]},
        timeout=10,
    )
    resp.raise_for_status()
    return resp.json()


def test_replying_to_a_push_starts_the_application_with_what_is_known(live_stack, wechat, platform, bound_openid):
    openid, resident_id = bound_openid
    campaign_id = pushed(platform, openid, resident_id)
    answer = wechat.send_text(openid, "申请")
    assert answer.error is None and answer.reply, answer
    state = tracker(live_stack, openid)
    assert state["slots"]["assistance_type"] == "临时救助"
    assert (state.get("active_loop") or {}).get("name") == "assistance_apply_form"
    assert state["slots"].get("requested_slot") != "assistance_type"  # the type is not asked again
    assert "临时救助" in answer.reply or state["slots"].get("requested_slot"), answer.reply

    def replied_at():  # counted with the transcript line, which /wechat writes just after the reply
        with platform() as sess:
            return sess.scalar(select(PolicyDelivery.replied_at).where(PolicyDelivery.campaign_id == campaign_id))

    assert wait_for(replied_at, 10) is not None
    with platform() as sess:
        said = sess.scalars(select(Message).where(Message.author == "resident").order_by(Message.id.desc())).first()
        assert said.text == "申请"  # the transcript keeps what the resident wrote
    wechat.send_text(openid, "不弄了")  # leave the form for the next test


@pytest.mark.parametrize("words", ["退订", "TD", "别再给我推送了"])
def test_unsubscribing_in_the_chat_withdraws_consent(live_stack, wechat, platform, words):
    openid = f"oPolicyTD_{abs(hash(words)) % 10**8}"
    wechat.send_event(openid, "subscribe")
    answer = wechat.send_text(openid, words)
    if words == "别再给我推送了":  # words, not the keyword: the resident confirms before consent is withdrawn
        assert answer.error is None and "不再收到政策推送" in (answer.reply or "") and "1. 是的" in answer.reply, answer
        with platform() as sess:
            assert sess.get(ResidentConsent, openid).push_allowed is True
        answer = wechat.send_text(openid, "1")
    assert answer.error is None and "退订" in (answer.reply or ""), answer
    with platform() as sess:
        row = sess.get(ResidentConsent, openid)
        assert row is not None and row.push_allowed is False and row.subscribed is True
    answer = wechat.send_text(openid, "有新政策告诉我")
    assert answer.error is None
    with platform() as sess:
        assert sess.get(ResidentConsent, openid).push_allowed is True


def test_a_message_misread_as_unsubscribe_withdraws_nothing(live_stack, wechat, platform):
    openid = "oPolicyMisread"
    wechat.send_event(openid, "subscribe")
    # Latin letters the NLU has never seen (the 2026-11-29 model read this as policy_unsubscribe, 0.85):
    # whatever it makes of them, consent is only withdrawn on 退订 / TD or a confirmed choice.
    answer = wechat.send_text(openid, '/feedback_request{"feedback_task": "x"}')
    assert answer.error is None and "退订了" not in (answer.reply or ""), answer
    with platform() as sess:
        assert sess.get(ResidentConsent, openid).push_allowed is True


def test_the_unsubscribe_event_withdraws_the_same_consent(live_stack, wechat, platform):
    openid = "oPolicyUnfollow"
    wechat.send_event(openid, "subscribe")
    wechat.send_event(openid, "unsubscribe")
    with platform() as sess:
        row = sess.get(ResidentConsent, openid)
        assert row is not None and (row.subscribed, row.push_allowed) == (False, False)
