"""The platform's channel: Rasa's REST channel plus what the bot understood in the turn.

The web app (web/rasa_client.py) posts ``{"sender", "message", "metadata", "message_id"}`` to
``/webhooks/platform/webhook`` exactly as to the stock REST channel and gets back

    {"messages": [<REST-channel bot messages>],
     "understanding": {"intent", "confidence", "guess", "entities": [{"entity", "value"}],
                       "fallback", "actions", "active_loop", "requested_slot",
                       "flows": [{"flow", "event": "started"|"completed"|"abandoned", "step"}],
                       "district"}}

read from the tracker the turn saved (channels/platform_store.py keeps it, so the whole
conversation is not retrieved again, and only the turn's events are read), so analytics, the NLU review
inbox and the agent console know what the bot made of every resident message
without a second call.

Only the web app may post here: it sends ``Authorization: Bearer <RASA_TOKEN>`` (the token of
Rasa's HTTP API, which the web app holds already; credentials.yml hands it to this channel),
and a post without it gets 403. Rasa's ``--auth-token`` covers its HTTP API, not its channels,
and the stock ``rest:`` channel is not enabled (the web app serves that format itself). The
channel refuses to start without a token, or with the development one unless CIVIC_DEV=1.

``GET /webhooks/platform/metrics`` is Rasa's Prometheus endpoint (Rasa has none of its
own): turns by outcome, turn latency inside Rasa, fallbacks, the length of the session a
turn left (what each turn costs grows with it), and turns whose tracker had to be retrieved
again (a misconfigured tracker store).

A post with ``"taken_over": true`` is a message whose Rasa instance died mid-turn
(web/rasa_client.py sends it to the next instance of the sender's ranking): the dead instance's
ticket is first removed from the lock store, where it would hold the conversation for Rasa's
lock lifetime (60 s).
"""

from __future__ import annotations

import hmac
import logging
import os
from collections.abc import Awaitable, Callable
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from rasa.shared.core.events import ActiveLoop, AllSlotsReset, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.platform_store import PlatformTrackerStore

logger = logging.getLogger(__name__)

TURNS = Counter("rasa_turns_total", "Resident messages Rasa handled through the platform channel", ["outcome"])
TURN_SECONDS = Histogram(
    "rasa_turn_duration_seconds",
    "Time Rasa took for one turn (NLU, policies, actions)",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15),
)
FALLBACKS = Counter("rasa_fallbacks_total", "Turns the bot did not understand (nlu_fallback or a fallback action)")
TAKEN_OVER = Counter(
    "rasa_turns_taken_over_total", "Messages taken over from an instance that died mid-turn (its lock ticket removed)"
)
UNCAPTURED = Counter(
    "rasa_turns_uncaptured_total", "Turns whose tracker was retrieved again (tracker store not the platform's)"
)
SESSION_EVENTS = Histogram(
    "rasa_session_events",
    "Events in the conversation session a turn left (Rasa's rule policy reads them all)",
    buckets=(10, 25, 50, 100, 200, 400, 800, 1600),
)

DEV_TOKEN = "change-me-rasa-token"  # RASA_TOKEN's development value (common/settings.py, DEV_SECRETS)
FALLBACK_INTENT = "nlu_fallback"
FALLBACK_ACTIONS = frozenset({"action_default_fallback", "action_two_stage_fallback", "utter_default"})


RESETS = ("restart", "session_started")  # events after which no form is active and no slot set
REQUESTED_SLOT = "requested_slot"


def turn_of(tracker: DialogueStateTracker, message_id: str) -> tuple[list[dict[str, Any]], str | None, str | None]:
    """The events of one turn (from the user event with ``message_id`` up to the next user
    event, as dicts) and the active form and requested slot before it. A long conversation costs
    no more than a short one: the turn is found from the end; when it is the tracker's last turn
    and neither starts nor stops a form, the form before it is the tracker's own (the slot too,
    unless the turn asked another), and only a turn that does walks back, to the nearest form
    event."""
    events = list(tracker.events)
    start = next(
        (
            i
            for i in range(len(events) - 1, -1, -1)
            if isinstance(events[i], UserUttered) and events[i].message_id == message_id
        ),
        None,
    )
    if start is None:
        return [], None, None
    end = next((i for i in range(start + 1, len(events)) if isinstance(events[i], UserUttered)), len(events))
    turn = events[start:end]
    loop_before: str | None = None
    slot_before: str | None = None
    loop_known = slot_known = False
    if end == len(events) and not any(isinstance(e, ActiveLoop) or e.type_name in RESETS for e in turn):
        loop_before, loop_known = tracker.active_loop_name, True
        if loop_before is None or not any(_asks(e) or isinstance(e, AllSlotsReset) for e in turn):
            slot_before, slot_known = tracker.get_slot(REQUESTED_SLOT), True
    for i in range(start - 1, -1, -1):
        if (loop_known and slot_known) or (loop_known and loop_before is None):
            break  # the slot is read only while a form is active
        event = events[i]
        if event.type_name in RESETS:
            break
        if not loop_known and isinstance(event, ActiveLoop):
            loop_before, loop_known = event.name, True
        elif not slot_known and _asks(event):
            slot_before, slot_known = event.value, True
        elif not slot_known and isinstance(event, AllSlotsReset):
            slot_known = True
    return [e.as_dict() for e in turn], loop_before, (slot_before if loop_before else None)


def _asks(event: Any) -> bool:
    return isinstance(event, SlotSet) and event.key == REQUESTED_SLOT


def understanding(
    turn: list[dict[str, Any]],
    slots: dict[str, Any],
    active_loop: str | None,
    loop_before: str | None,
    slot_before: str | None,
) -> dict[str, Any]:
    """What the bot made of the turn: the parse result, the actions run and the flows started or ended."""
    parse = (turn[0].get("parse_data") or {}) if turn else {}
    intent = (parse.get("intent") or {}).get("name")
    confidence = (parse.get("intent") or {}).get("confidence")
    ranking = [r for r in parse.get("intent_ranking") or [] if r.get("name") != FALLBACK_INTENT]
    guess = ranking[0] if ranking else {"name": intent, "confidence": confidence}
    actions: list[str] = []
    flows: list[dict[str, Any]] = []
    current, requested, last_action = loop_before, slot_before, None
    for event in turn[1:]:
        kind = event.get("event")
        if kind == "action":
            last_action = event.get("name")
            if last_action != "action_listen":
                actions.append(last_action)
        elif kind == "slot" and event.get("name") == "requested_slot" and event.get("value"):
            requested = event.get("value")
        elif kind == "active_loop":
            name = event.get("name")
            if name and name != current:
                if current:
                    flows.append({"flow": current, "event": "abandoned", "step": requested})
                flows.append({"flow": name, "event": "started", "step": None})
            elif not name and current:
                # A form ends itself when it is complete; anything else (action_deactivate_loop
                # after "不弄了", a handoff, a restart) means the resident did not reach the end.
                flows.append(
                    {
                        "flow": current,
                        "event": "completed" if last_action == current else "abandoned",
                        "step": requested,
                    }
                )
            current = name
    return {
        "intent": intent,
        "confidence": confidence,
        "guess": {"intent": guess.get("name"), "confidence": guess.get("confidence")},
        "entities": [{"entity": e.get("entity"), "value": e.get("value")} for e in parse.get("entities") or []],
        "fallback": intent == FALLBACK_INTENT or any(a in FALLBACK_ACTIONS for a in actions),
        "actions": actions,
        "active_loop": active_loop,
        "requested_slot": slots.get("requested_slot") if active_loop else None,
        "flows": flows,
        "district": slots.get("district"),
    }


def channel_token(credentials: dict[str, Any] | None) -> str:
    """The token the web app must send, from credentials.yml; refuses none, and the
    development one unless CIVIC_DEV=1."""
    token = str((credentials or {}).get("token") or "")
    if not token:
        raise ValueError("channels.platform.PlatformInput needs `token:` in credentials.yml (RASA_TOKEN)")
    if token == DEV_TOKEN and os.environ.get("CIVIC_DEV") != "1":
        raise ValueError("RASA_TOKEN is the development value: set a long random one, or CIVIC_DEV=1 when developing")
    return token


class PlatformInput(RestInput):
    def __init__(self, token: str) -> None:
        self.token = token

    @classmethod
    def name(cls) -> str:
        return "platform"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> PlatformInput:
        return cls(channel_token(credentials))

    def authorised(self, request: Request) -> bool:
        supplied = (request.headers.get("Authorization") or "").removeprefix("Bearer ").strip()
        return hmac.compare_digest(supplied.encode(), self.token.encode())

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        bp = Blueprint("platform_webhook", __name__)

        @bp.route("/", methods=["GET"])
        async def health(_request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @bp.route("/metrics", methods=["GET"])
        async def metrics(_request: Request) -> HTTPResponse:
            return response.raw(generate_latest(), content_type=CONTENT_TYPE_LATEST)

        @bp.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not self.authorised(request):
                TURNS.labels("refused").inc()
                return response.json({"error": "forbidden", "message": "只接受平台的请求"}, status=403)
            sender_id = await self._extract_sender(request)
            text = self._extract_message(request)
            if not isinstance(sender_id, str) or not isinstance(text, str):
                TURNS.labels("bad_request").inc()
                return response.json({"error": "bad_request", "message": "需要 sender 和 message 两个字段"}, status=400)
            agent = request.app.ctx.agent
            body = request.json if isinstance(request.json, dict) else {}
            if body.get("taken_over") is True:  # its instance died mid-turn (web/rasa_client.py)
                agent.lock_store.delete_lock(sender_id)  # the dead instance's ticket would hold it for 60 s
                TAKEN_OVER.inc()
            given_id = body.get("message_id")
            collector = CollectingOutputChannel()
            message = UserMessage(
                text,
                collector,
                sender_id,
                input_channel=self._extract_input_channel(request),
                # the web app's id, the same when a message is sent again to another instance, so the
                # actions' idempotency keys (made from it) are the same: a back-office write happens once
                message_id=given_id if isinstance(given_id, str) and 0 < len(given_id) <= 64 else None,
                metadata=self.get_metadata(request),
            )
            with TURN_SECONDS.time():
                try:
                    await on_new_message(message)
                except Exception:
                    TURNS.labels("error").inc()
                    raise
            store = agent.tracker_store
            while not isinstance(store, PlatformTrackerStore) and hasattr(store, "_tracker_store"):
                store = store._tracker_store  # inside Rasa's fail-safe (and awaitable) wrappers
            tracker = store.take_saved(sender_id) if isinstance(store, PlatformTrackerStore) else None
            if tracker is None:  # another tracker store, or the turn failed before saving
                logger.warning(f"turn not captured ({type(store).__name__}); retrieving the tracker")
                UNCAPTURED.inc()
                tracker = await agent.tracker_store.retrieve(sender_id)
            understood: dict[str, Any] = {}
            if tracker is not None:
                SESSION_EVENTS.observe(len(tracker.events))
                turn, loop_before, slot_before = turn_of(tracker, message.message_id)
                understood = understanding(
                    turn, tracker.current_slot_values(), tracker.active_loop_name, loop_before, slot_before
                )
            TURNS.labels("ok").inc()
            if understood.get("fallback"):
                FALLBACKS.inc()
            return response.json({"messages": collector.messages, "understanding": understood})

        return bp
