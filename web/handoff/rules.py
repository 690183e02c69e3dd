"""Handoff rules an administrator configures in the console: keywords that send a
resident's message straight to a person (with a priority and, optionally, a group).

Every resident message is checked against them, so each process keeps the active rules
in memory instead of reading them per message: a change committed in this process
applies to the next message at once, one committed in another process within ``TTL``
seconds.
"""

from __future__ import annotations

import threading
import time
import weakref
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, select, true
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from web.handoff.models import HandoffRule, split_keywords

TTL = 5.0  # seconds a process may go on using rules another process has changed


@dataclass(frozen=True)
class Rule:
    name: str
    keywords: tuple[str, ...]  # case-folded
    priority: str
    group_id: int | None


@dataclass(frozen=True)
class _Snapshot:
    rules: tuple[Rule, ...]
    generation: int
    loaded_at: float


_lock = threading.Lock()
_generation = 0  # moves whenever a session in this process commits a rule change
_snapshots: weakref.WeakKeyDictionary[Engine, _Snapshot] = weakref.WeakKeyDictionary()


def matching(conn: Connection, text: str) -> Rule | None:
    """The first active rule (urgent rules first) with a keyword in ``text``; ``conn`` reads
    the committed rules when this process's copy is stale (the routing point's read)."""
    folded = text.casefold()
    return next((r for r in _active(conn) if any(k in folded for k in r.keywords)), None)


def _active(conn: Connection) -> tuple[Rule, ...]:
    engine = conn.engine
    generation = _generation  # read before the query: a change committed meanwhile makes this snapshot stale
    snapshot = _snapshots.get(engine)
    if snapshot is not None and snapshot.generation == generation and time.monotonic() - snapshot.loaded_at < TTL:
        return snapshot.rules
    rows = conn.execute(
        select(HandoffRule.name, HandoffRule.keywords, HandoffRule.priority, HandoffRule.group_id)
        .where(HandoffRule.active == true())
        .order_by(HandoffRule.priority.desc(), HandoffRule.id)
    )
    rules = tuple(
        Rule(name, tuple(k.casefold() for k in split_keywords(keywords)), priority, group_id)
        for name, keywords, priority, group_id in rows
    )
    with _lock:
        _snapshots[engine] = _Snapshot(rules, generation, time.monotonic())
    return rules


@event.listens_for(Session, "before_flush")
def _note_change(sess: Session, *_: Any) -> None:
    if any(isinstance(obj, HandoffRule) for obj in (*sess.new, *sess.dirty, *sess.deleted)):
        sess.info["handoff_rules_changed"] = True


@event.listens_for(Session, "after_commit")
def _bump(sess: Session) -> None:
    """A committed rule change: every snapshot in this process is stale from now on."""
    global _generation
    if sess.info.pop("handoff_rules_changed", False):
        with _lock:
            _generation += 1


@event.listens_for(Session, "after_rollback")
def _forget(sess: Session) -> None:
    sess.info.pop("handoff_rules_changed", None)  # nobody could read a change never committed
