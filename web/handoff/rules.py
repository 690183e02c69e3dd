"""Handoff rules an administrator configures in the console: keywords that send a
resident's message straight to a person (with a priority and, optionally, a group)."""
from __future__ import annotations

from sqlalchemy import select, true
from sqlalchemy.orm import Session

from web.handoff.models import HandoffRule


def matching(sess: Session, text: str) -> HandoffRule | None:
    """The first active rule (urgent rules first) with a keyword in ``text``."""
    rules = sess.scalars(select(HandoffRule).where(HandoffRule.active == true()).order_by(HandoffRule.priority.desc(), HandoffRule.id))
    folded = text.casefold()
    return next((r for r in rules if any(k.casefold() in folded for k in r.keyword_list())), None)
