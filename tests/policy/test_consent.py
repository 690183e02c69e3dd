"""Consent: 退订 / TD through the routing point and the bot's side effect, on the platform's one consent record."""

from __future__ import annotations

import pytest

from web.conversations.models import Conversation
from web.conversations.router import Inbound
from web.identity.links import BindingLinks
from web.outbound import consent as channel_consent
from web.outbound.models import ResidentConsent
from web.policy import audience
from web.policy.reply import rewrite
from web.services import side_effects as platform_side_effects

side_effects = platform_side_effects(
    BindingLinks("http://platform.test", "test-secret")
)  # as web/services.py gives them


def rewritten(platform, inbound: Inbound) -> Inbound:
    with platform() as sess:
        seen, note = rewrite(sess.connection(), inbound)
    assert note is None  # nobody here was pushed to
    return seen


@pytest.mark.parametrize("said", ["退订", "TD", "td", " T D ", "退订。"])
def test_td_always_reaches_the_unsubscribe_intent(platform, said):
    seen = rewritten(platform, Inbound("wechat", "oX", said))
    assert seen.text == "/policy_unsubscribe" and seen.transcript == said


def test_other_messages_pass_unchanged(platform):
    seen = [
        rewritten(platform, Inbound("wechat", "oX", text)) for text in ("申请", '/eldercare_find{"latitude": 31.2}')
    ]
    assert [i.text for i in seen] == ["申请", '/eldercare_find{"latitude": 31.2}']


def test_the_bot_side_effect_and_the_unsubscribe_event_share_one_record(platform):
    with platform.begin() as sess:
        conv = Conversation(sender_id="oA", channel="wechat", state="bot")
        web = Conversation(sender_id="web:someone", channel="web", state="bot")
        sess.add_all([conv, web])
        sess.flush()
        assert (
            side_effects.apply(sess, conv, {"consent": {"withdrawn": True}}).custom == {}
        )  # never shown to the resident
        side_effects.apply(sess, web, {"consent": {"withdrawn": True}})  # web chat residents are never pushed
        channel_consent.record_unsubscribe(sess, "oB")  # the WeChat unsubscribe event, as the channel records it
    with platform() as sess:
        assert audience.withdrawn(sess, ["oA", "oB", "oC", "web:someone"]) == {"oA", "oB"}
        assert sess.get(ResidentConsent, "web:someone") is None
    with platform.begin() as sess:
        side_effects.apply(sess, sess.get(Conversation, conv.id), {"consent": {"withdrawn": False}})  # 有新政策告诉我
    with platform() as sess:
        assert audience.withdrawn(sess, ["oA"]) == set()
