"""Asking for real-name verification: a custom payload the web app turns into a signed link.

A flow that touches the resident's own data asks the back-office with the sender id; when the
back-office answers ``not_bound``, the action calls :func:`ask_to_verify` with the message that
carries the flow on once the resident is verified (``resume``, intent syntax) and the errand in
words (``what``). The web app (web/identity/) writes the whole message: why, and the link. Nothing
is ever bound from what the resident types in the chat.
"""

from __future__ import annotations

from actions.dispatcher import Dispatcher

NOT_BOUND = "not_bound"


def ask_to_verify(dispatcher: Dispatcher, resume: str, what: str) -> None:
    dispatcher.utter("", custom={"identity": {"resume": resume, "what": what}})
