"""After verification the conversation carries on by itself, but never over an agent's head."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from common.db import make_engine
from common.migrate import upgrade
from web.conversations.models import Conversation, Message
from web.identity import resume
from web.identity.links import BindingLinks, VerifyRequest
from web.outbound import Outbound
from web.outbound.models import OutboundMessage
from web.rasa_client import RasaClient
from web.services import router as platform_router
from web.services import side_effects as platform_side_effects
from web.texts import text

EFFECTS = platform_side_effects(BindingLinks("http://platform.test", "test-secret"))


def test_a_resident_with_an_agent_is_told_they_are_verified_and_the_bot_stays_out(db_url, redis_client):
    upgrade("platform", db_url)
    sessions = sessionmaker(make_engine(db_url), expire_on_commit=False)
    with sessions.begin() as sess:
        sess.add(Conversation(sender_id="oWithAgent", channel="wechat", state="agent"))
    queued: list[tuple[str, list]] = []
    outbound = Outbound(sessions, redis_client, lambda task, args: queued.append((task, args)))
    bot = RasaClient(("http://127.0.0.1:9",), "t", timeout=1)  # never reached: the agent has the conversation
    router = platform_router(sessions, bot, EFFECTS, rewrite=None)
    ids = resume.carry_on(sessions, router, outbound, VerifyRequest("oWithAgent", "/assistance_progress", "查申请进度"))
    with sessions() as sess:
        sent = [row.body["content"] for row in sess.scalars(select(OutboundMessage).where(OutboundMessage.id.in_(ids)))]
        said = sess.scalars(select(Message.text).join(Conversation).where(Conversation.sender_id == "oWithAgent")).all()
    assert sent == [text("identity_resumed_nothing")] and said == sent
    assert queued and queued[0][0] == "wechat.send_texts"
