"""Which conversations a run takes: ``all``, the ``subset`` that ``make test`` runs, or ids.

The subset is deterministic and spread over every data file: the conversations whose id hashes to
0 modulo ``SUBSET_EVERY`` (sha1, so it does not move between machines or Python versions), and the
first one of a file none of whose ids does, minus the known defects, which fail until they are fixed
and are run in full by ``make conversations``.
"""

from __future__ import annotations

import hashlib
from datetime import date

from tools.conversations.spec import Conversation

SUBSET_EVERY = 4


def _hashed_in(conv: Conversation) -> bool:
    return int(hashlib.sha1(conv.id.encode()).hexdigest(), 16) % SUBSET_EVERY == 0


def subset(conversations: list[Conversation]) -> list[Conversation]:
    candidates = [c for c in conversations if not c.known_defect]
    covered = {c.source for c in candidates if _hashed_in(c)}
    firsts = {c.source: c.id for c in reversed(candidates) if c.source not in covered}
    return [c for c in candidates if _hashed_in(c) or firsts.get(c.source) == c.id]


def current(conversations: list[Conversation], today: date | None = None) -> list[Conversation]:
    """Those whose ``until`` has not passed."""
    today = today or date.today()
    return [c for c in conversations if c.until is None or c.until >= today]


def choose(conversations: list[Conversation], which: str) -> list[Conversation]:
    """``which``: ``all``, ``subset``, or comma-separated ids, id prefixes, flows or data file names;
    never a conversation past its ``until`` day."""
    conversations = current(conversations)
    if which == "all":
        return conversations
    if which == "subset":
        return subset(conversations)
    wanted = [w.strip() for w in which.split(",") if w.strip()]
    return [
        c
        for c in conversations
        if any(c.id.startswith(w) or c.flow == w or c.source in (w, f"{w}.yml") for w in wanted)
    ]
