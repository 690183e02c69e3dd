"""Filling and working the review inbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from common.masking import mask_text
from web.conversations.models import Message, typed
from web.review.models import ReviewItem

LOW_CONFIDENCE = 0.6  # below this the bot's guess is worth a reviewer's look
OUT_OF_SCOPE = "out_of_scope"


def consider(sess: Session, message_id: int, said: str, sent: str, understanding: dict[str, Any]) -> ReviewItem | None:
    """Queue a resident message (``said``; the bot was sent ``sent``) the bot fell back on or
    was unsure about. Button taps, menu items and intent syntax are not the resident's words."""
    if not said.strip() or not typed(sent):
        return None
    guess = understanding.get("guess") or {}
    confidence = guess.get("confidence", understanding.get("confidence"))
    if understanding.get("fallback"):
        reason = "fallback"
    elif confidence is not None and confidence < LOW_CONFIDENCE:
        reason = "low_confidence"
    else:
        return None
    item = ReviewItem(
        message_id=message_id,
        text=mask_text(said),
        reason=reason,
        guess=guess.get("intent") or understanding.get("intent"),
        confidence=confidence,
    )
    sess.add(item)
    return item


def add_correction(sess: Session, message_id: int, intent: str, reviewer: str) -> ReviewItem:
    """An agent says what a resident's message really meant (from the console): labelled at once."""
    message = sess.get(Message, message_id)
    if message is None or not message.typed:
        raise ValueError(f"message {message_id} is not something a resident wrote")
    item = sess.scalar(select(ReviewItem).where(ReviewItem.message_id == message_id))
    if item is None:
        meta = message.meta or {}
        item = ReviewItem(
            message_id=message_id,
            text=mask_text(message.text),
            guess=meta.get("intent"),
            confidence=meta.get("confidence"),
        )
        sess.add(item)
    item.reason = "agent_corrected"
    label(item, intent, reviewer)
    return item


def label(item: ReviewItem, intent: str, reviewer: str) -> None:
    item.label, item.status, item.reviewed_by, item.reviewed_at = intent, "labelled", reviewer, datetime.now()


def dismiss(item: ReviewItem, reviewer: str) -> None:
    item.label, item.status, item.reviewed_by, item.reviewed_at = None, "dismissed", reviewer, datetime.now()
