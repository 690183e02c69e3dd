"""After the binding: the conversation that asked carries on by itself.

"认证好了，我们接着办刚才的低保申请" and the flow that needed the resident's identity is sent to
the bot again, now that the back-office knows who they are; its replies reach the resident
like any message sent outside a request (web/outbound/). Only the sender the request came
from is carried on: a link opened on another phone binds that phone's owner, and nothing else.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from web.conversations.models import Conversation
from web.conversations.router import Router
from web.identity.links import VerifyRequest
from web.outbound import Outbound
from web.texts import text


def carry_on(sessions: sessionmaker, router: Router, outbound: Outbound, request: VerifyRequest) -> list[int]:
    """The outbound message ids sent to the resident (none when the conversation is unknown)."""
    with sessions.begin() as sess:
        conv = sess.scalar(select(Conversation).where(Conversation.sender_id == request.sender))
        if conv is None:
            return []
        if request.resume and request.what and conv.state == "bot":  # with an agent, the bot does not go on
            preface = text("identity_resumed").format(what=request.what)
        else:
            preface = text("identity_resumed_nothing")
        shown = router.carry_on(sess, conv, preface, request.resume, text("identity_resume_failed"))
        recorded = outbound.record(sess, request.sender, shown, reason="identity_verified")
    return outbound.dispatch(recorded)
