"""Asking for real-name verification: a custom payload the web app turns into a signed link.

A flow that touches the resident's own data asks the back-office with the sender id; when the
back-office answers ``not_bound``, the action calls :func:`ask_to_verify` with the message that
carries the flow on once the resident is verified (``resume``, intent syntax) and the errand in
words (``what``). The web app (web/identity/) writes the whole message: why, and the link. Nothing
is ever bound from what the resident types in the chat.
"""

from __future__ import annotations

from collections.abc import Iterable

from actions.dispatcher import Dispatcher

NOT_BOUND = "not_bound"
SAME_WAY = 2  # asked to verify this many turns in a row, the next request also says what else can be done


def ask_to_verify(dispatcher: Dispatcher, resume: str, what: str) -> None:
    dispatcher.utter("", custom={"identity": {"resume": resume, "what": what}})


def asks_in(messages: Iterable[dict]) -> bool:
    """Whether these replies ask the resident to verify."""
    return any("identity" in (m.get("custom") or {}) for m in messages)


def asked_in_a_row(events: Iterable[dict]) -> int:
    """How many of the resident's turns in a row, before the latest message, the bot answered with a request to
    verify."""
    asked: list[bool] = []  # one per resident message: whether the replies to it asked to verify
    for event in events:
        if event.get("event") == "user":
            asked.append(False)
        elif event.get("event") == "bot" and asked and asks_in([event.get("data") or {}]):
            asked[-1] = True
    count = 0
    for turn in reversed(asked[:-1]):  # the latest message is being answered now
        if not turn:
            break
        count += 1
    return count


def another_way(dispatcher: Dispatcher, events: Iterable[dict]) -> None:
    """Never the same request a third time the same way (docs/nlu.md): a resident asked to verify twice in a row
    and asked again is also told what else can be done (family, in person, a person)."""
    if asks_in(dispatcher.messages) and asked_in_a_row(events) >= SAME_WAY:
        dispatcher.utter(response="utter_identity_another_way")
