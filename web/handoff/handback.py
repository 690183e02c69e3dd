"""Ending a handoff: close with an outcome and give the conversation back to the bot.

Rasa's tracker is resumed with its own ``resume`` event (it was paused with ``pause``
when the conversation was queued), so the bot's history stays whole. Handing back
may start a flow with values the agent already knows (e.g. took the booking details
on the phone), and otherwise the bot asks for a rating: either is the flow's intent with
those values as entities, sent through the platform channel like a resident's message
(so the flows it starts are recorded for analytics as any other's, but no resident line
is); the bot's replies go into the transcript and, through :mod:`web.outbound`, to the resident.
"""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy.orm import Session

from web.analytics import recording
from web.conversations.models import Conversation
from web.conversations.side_effects import SideEffects
from web.handoff import config, queue
from web.handoff.models import Agent, Ticket
from web.handoff.rasa_api import RasaApi, RasaApiError
from web.rasa_client import BotMessage, RasaClient, RasaUnavailable


def finish(
    sess: Session,
    rasa: RasaApi,
    bot: RasaClient,
    ticket: Ticket,
    actor: Agent,
    outcome: str,
    now: datetime,
    flow: config.Flow | None = None,
    values: dict[str, str] | None = None,
    *,
    side_effects: SideEffects,
) -> tuple[Conversation, list[BotMessage]]:
    """Close the ticket, resume the bot and, when handing back, start ``flow``; otherwise
    the bot offers the resident a rating of the agent's service. Returns the
    conversation and the messages the resident must receive. A Rasa failure raises
    :class:`~web.handoff.rasa_api.RasaApiError` and the caller's transaction is rolled back."""
    conv = queue.close(sess, ticket, actor, outcome, now)
    rasa.resume(conv.sender_id)
    if outcome != "handed_back":
        # 好差评 for the agent's service (the bot skips it in a sensitive conversation).
        replies = start(sess, bot, conv, "feedback_request", {"feedback_task": "handoff"})
    elif flow is None:
        replies = [BotMessage(text=config.desk().texts["handed_back"])]
    else:
        entities = {
            name: value.strip() for name, value in (values or {}).items() if name in flow.entities and value.strip()
        }
        replies = start(sess, bot, conv, flow.intent, entities)
    shown: list[BotMessage] = []
    for reply in replies:
        reply = side_effects.applied_to(sess, conv, reply)
        if reply.text or reply.buttons or reply.image or reply.custom:
            queue.say(sess, conv, "bot", reply.text, {"custom": reply.custom} if reply.custom else {})
            shown.append(reply)
    return conv, shown


def start(
    sess: Session, bot: RasaClient, conv: Conversation, intent: str, entities: dict[str, str]
) -> list[BotMessage]:
    """The platform starts ``intent`` in the bot for this resident; the bot's replies."""
    try:
        turn = bot.exchange(
            conv.sender_id, "/" + intent + json.dumps(entities, ensure_ascii=False), {"channel": conv.channel}
        )
    except RasaUnavailable as exc:
        raise RasaApiError(str(exc)) from exc
    recording.record_flows(sess, conv.id, conv.channel, turn.understanding)
    return turn.messages
