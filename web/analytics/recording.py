"""Recording analytics events.

Two sources, so no code path can forget one:
- the router's hook for what the bot understood (``Router(understood=...)``, given in
  web/services.py) calls :func:`record_turn` with each turn's understanding
  (message_in, flow_started / flow_completed / flow_abandoned);
- a listener on the platform's sessions (:func:`listen`) sees every flush and records
  what the transcript and the conversation's state say: conversation_started (first
  message of a resident on a calendar day), handoff_requested / handoff_claimed /
  handoff_closed (``Conversation.state`` bot → queued → agent → back), agent_message
  (an agent's line in the transcript), whoever's code made the change.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import event, insert, inspect
from sqlalchemy.orm import Session, sessionmaker

from web.analytics.models import AnalyticsEvent
from web.conversations.models import Conversation, Message, take_made

WITH_AGENT = ("queued", "agent")


def record(sess: Session, kind: str, conversation_id: int, at: datetime | None = None, **fields: Any) -> None:
    """Record one event in the session's transaction (``fields``: columns of AnalyticsEvent)."""
    sess.connection().execute(insert(AnalyticsEvent.__table__), [_row(kind, conversation_id, at, fields)])


def _row(kind: str, conversation_id: int, at: datetime | None, fields: dict[str, Any]) -> dict[str, Any]:
    row = {
        "channel": None,
        "district": None,
        "intent": None,
        "confidence": None,
        "fallback": False,
        "flow": None,
        "step": None,
        "reason": None,
        "value": None,
        "detail": {},
    }
    row.update(fields)
    row.update(kind=kind, conversation_id=conversation_id, at=at or datetime.now())
    return row


def record_turn(sess: Session, conversation_id: int, channel: str, understanding: dict[str, Any]) -> None:
    """A resident message the bot answered, and the flows it started or ended."""
    if not understanding:
        return
    common = {"channel": channel, "district": _short(understanding.get("district"))}
    guess = understanding.get("guess") or {}
    rows = [
        _row(
            "message_in",
            conversation_id,
            None,
            {
                **common,
                "intent": _short(guess.get("intent") or understanding.get("intent"), 80),
                "confidence": guess.get("confidence", understanding.get("confidence")),
                "fallback": bool(understanding.get("fallback")),
                "flow": _short(understanding.get("active_loop"), 60),
                "step": _short(understanding.get("requested_slot"), 60),
                "detail": {
                    "entities": sorted(
                        {e.get("entity") for e in understanding.get("entities") or [] if e.get("entity")}
                    )
                },
            },
        )
    ]
    sess.connection().execute(
        insert(AnalyticsEvent.__table__), rows + _flow_rows(conversation_id, common, understanding)
    )


def record_flows(sess: Session, conversation_id: int, channel: str, understanding: dict[str, Any]) -> None:
    """The flows a turn the platform started (not a resident message, e.g. a rating after a
    handoff) began or ended."""
    rows = _flow_rows(
        conversation_id, {"channel": channel, "district": _short(understanding.get("district"))}, understanding
    )
    if rows:
        sess.connection().execute(insert(AnalyticsEvent.__table__), rows)


def _flow_rows(conversation_id: int, common: dict[str, Any], understanding: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        _row(
            "flow_" + flow["event"],
            conversation_id,
            None,
            {**common, "flow": _short(flow.get("flow"), 60), "step": _short(flow.get("step"), 60)},
        )
        for flow in understanding.get("flows") or []
        if flow.get("event") in ("started", "completed", "abandoned")
    ]


def _short(value: Any, size: int = 40) -> str | None:
    return str(value)[:size] if value not in (None, "") else None


def _state_change(conv: Conversation) -> tuple[str | None, str] | None:
    history = inspect(conv).attrs.state.history
    if not history.added:
        return None
    return (history.deleted[0] if history.deleted else None), history.added[0]


def _after_flush(sess: Session, _context: Any) -> None:
    rows: list[dict[str, Any]] = []
    for obj in list(sess.new) + list(sess.dirty):
        if isinstance(obj, Conversation):
            rows += _conversation_events(obj, obj in sess.new or take_made(sess, obj))
    for obj in sess.new:  # after the state changes: a claim comes before the agent's first line
        if isinstance(obj, Message) and obj.author == "agent":
            rows.append(_row("agent_message", obj.conversation_id, None, {}))
    if rows:
        sess.connection().execute(insert(AnalyticsEvent.__table__), rows)


def _conversation_events(conv: Conversation, new: bool) -> list[dict[str, Any]]:
    rows = []
    seen = inspect(conv).attrs.last_message_at.history
    previous = seen.deleted[0] if seen.deleted else None
    now = datetime.now()
    if new or (seen.added and previous is not None and previous.date() != now.date()):
        rows.append(_row("conversation_started", conv.id, now, {"channel": conv.channel}))
    change = _state_change(conv) if not new else (None, conv.state)
    if change:
        before, after = change
        if after == "queued" and before not in WITH_AGENT:
            rows.append(
                _row(
                    "handoff_requested",
                    conv.id,
                    now,
                    {
                        "channel": conv.channel,
                        "reason": conv.handoff_reason,
                        "detail": {"priority": conv.handoff_priority},
                    },
                )
            )
        elif after == "agent" and before != "agent":
            rows.append(_row("handoff_claimed", conv.id, now, {"channel": conv.channel}))
        elif before in WITH_AGENT and after not in WITH_AGENT:
            rows.append(_row("handoff_closed", conv.id, now, {"channel": conv.channel, "detail": {"to": after}}))
    return rows


def listen(sessions: sessionmaker) -> None:
    """Record transcript and state events for every session ``sessions`` makes (idempotent)."""
    if not event.contains(sessions, "after_flush", _after_flush):
        event.listen(sessions, "after_flush", _after_flush)
