"""The registry of actions: a name maps to a callable; dispatch builds the protocol's reply."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from actions import identity, services
from actions.dispatcher import Dispatcher
from actions.tracker import Tracker

ActionFn = Callable[[Dispatcher, Tracker, dict[str, Any]], list[dict[str, Any]]]

_REGISTRY: dict[str, ActionFn] = {}


class UnknownAction(Exception):
    def __init__(self, name: str) -> None:
        super().__init__(f"no action named {name!r}")
        self.action_name = name


class ActionRejected(Exception):
    """An action refuses to run (Rasa then runs its fallback): the protocol's 400 reply."""

    def __init__(self, action_name: str, message: str) -> None:
        super().__init__(message)
        self.action_name = action_name


def action(name: str) -> Callable[[ActionFn], ActionFn]:
    def register(fn: ActionFn) -> ActionFn:
        if name in _REGISTRY:
            raise ValueError(f"action {name!r} registered twice")
        _REGISTRY[name] = fn
        return fn

    return register


def names() -> list[str]:
    return sorted(_REGISTRY)


def run(name: str, tracker: Tracker, domain: dict[str, Any]) -> dict[str, Any]:
    fn = _REGISTRY.get(name)
    if fn is None:
        raise UnknownAction(name)
    dispatcher = Dispatcher()
    with services.action_run():  # one back-office answer per read for the whole run
        events = fn(dispatcher, tracker, domain)
    identity.another_way(dispatcher, tracker.events)
    return {"events": events, "responses": dispatcher.messages}
