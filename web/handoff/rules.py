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
_generation = 0  # moves whenever a session in this process flushes, commits or rolls back a rule change
_snapshots: weakref.WeakKeyDictionary[Engine, _Snapshot] = weakref.WeakKeyDictionary()


def matching(db: Session | Connection, text: str) -> Rule | None:
    """The first active rule (urgent rules first) with a keyword in ``text``; ``db`` is the
    session whose uncommitted rules count, or a connection (the routing point's read)."""
    folded = text.casefold()
    return next((r for r in _active(db) if any(k in folded for k in r.keywords)), None)


def _active(db: Session | Connection) -> tuple[Rule, ...]:
    bind = db.get_bind() if isinstance(db, Session) else db
    engine = bind.engine if isinstance(bind, Connection) else bind
    generation = _generation  # read before the query: a change committed meanwhile makes this snapshot stale
    snapshot = _snapshots.get(engine)
    if snapshot is not None and snapshot.generation == generation and time.monotonic() - snapshot.loaded_at < TTL:
        return snapshot.rules
    rows = db.execute(select(HandoffRule.name, HandoffRule.keywords, HandoffRule.priority, HandoffRule.group_id)
                      .where(HandoffRule.active == true()).order_by(HandoffRule.priority.desc(), HandoffRule.id))
    rules = tuple(Rule(name, tuple(k.casefold() for k in split_keywords(keywords)), priority, group_id)
                  for name, keywords, priority, group_id in rows)
    uncommitted = isinstance(db, Session) and db.info.get("handoff_rules_changed")
    if not uncommitted:  # a transaction's uncommitted rules are its own
        with _lock:
            _snapshots[engine] = _Snapshot(rules, generation, time.monotonic())
    return rules


@event.listens_for(Session, "before_flush")
def _note_change(sess: Session, *_: Any) -> None:
    if any(isinstance(obj, HandoffRule) for obj in (*sess.new, *sess.dirty, *sess.deleted)):
        sess.info["handoff_rules_changed"] = True


def _bump(sess: Session, *_: Any, end: bool = False) -> None:
    """After a flush that wrote rules (this session now reads them), and again when that
    transaction commits or rolls back (everyone reads them, or nobody does)."""
    global _generation
    changed = sess.info.pop("handoff_rules_changed", False) if end else sess.info.get("handoff_rules_changed")
    if changed:
        with _lock:
            _generation += 1


event.listen(Session, "after_flush", _bump)
event.listen(Session, "after_commit", lambda sess: _bump(sess, end=True))
event.listen(Session, "after_rollback", lambda sess: _bump(sess, end=True))
