"""The customer-service window and quota come from what the platform really receives and sends:
the real web and worker processes (the WeChat channel records each fresh message and event, the
sender each message WeChat takes), against the WeChat stand-in, which counts as WeChat does."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from tests.waiting import wait_for
from web.outbound import cs_window
from web.rasa_client import BotMessage

from .test_channel import new_openid, settled_rows


def _allowance(wechat_stack, openid: str) -> cs_window.Allowance:
    return cs_window.allowance(wechat_stack.redis, openid, datetime.now(timezone.utc))


def test_a_message_opens_five_for_48_hours_and_each_sent_message_counts(wechat_stack):
    standin, openid = wechat_stack.standin, new_openid()
    before = datetime.now(timezone.utc)
    standin.send_text(openid, "你好")
    allowed = _allowance(wechat_stack, openid)
    assert allowed.left == 5
    assert before + timedelta(hours=48) - timedelta(seconds=2) <= allowed.open_until
    assert allowed.open_until <= datetime.now(timezone.utc) + timedelta(hours=48)
    for line in ("您好，我是民政热线的工作人员。", "请问您要办什么？"):  # two agent lines, one message each
        wechat_stack.outbound().deliver(openid, [BotMessage(text=line)], "agent")
    assert [r.status for r in settled_rows(wechat_stack, openid, 2)] == ["sent", "sent"]
    assert wait_for(lambda: _allowance(wechat_stack, openid).left == 3)


def test_a_menu_tap_or_a_follow_gives_three_and_unfollowing_closes(wechat_stack):
    standin, openid = wechat_stack.standin, new_openid()
    standin.send_event(openid, "subscribe")
    assert _allowance(wechat_stack, openid).left == 3
    standin.send_event(openid, "VIEW", key="https://example.gov.cn/")  # leaving for a page opens nothing
    standin.send_event(openid, "CLICK", key="MARRIAGE_BOOK")
    allowed = _allowance(wechat_stack, openid)
    assert allowed.left == 3 and allowed.open_until <= datetime.now(timezone.utc) + timedelta(seconds=60)
    standin.send_event(openid, "unsubscribe")
    assert not _allowance(wechat_stack, openid).can_send


def test_a_retried_message_does_not_renew_the_quota(wechat_stack):
    standin, openid = wechat_stack.standin, new_openid()
    standin.send_text(openid, "你好", msg_id=990001)
    wechat_stack.outbound().deliver(openid, [BotMessage(text="您好，请讲。")], "agent")
    settled_rows(wechat_stack, openid, 1)
    assert wait_for(lambda: _allowance(wechat_stack, openid).left == 4)
    standin.send_text(openid, "你好", msg_id=990001)  # WeChat re-sends the same MsgId
    assert _allowance(wechat_stack, openid).left == 4
