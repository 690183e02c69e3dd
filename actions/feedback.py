"""好差评: after a task ends the resident rates the service on the five standard levels.

A flow offers the rating by ending its last action's events with :func:`offer_rating`
(or the platform sends ``/feedback_request{"feedback_task": "<task>"}``, e.g. when an
agent closes a handoff). ``action_offer_rating`` asks unless this Rasa session already
had a rating question or is sensitive (an urgent handoff); ``feedback_form`` takes a
tapped button or a typed number / level word, and for 基本满意 or worse an optional
comment; ``action_submit_rating`` thanks the resident and hands the rating to the web
app as the ``rating`` side effect (web/feedback/handlers.py).
"""

from __future__ import annotations

import re
from typing import Any

from actions import events
from actions.dispatcher import Dispatcher
from actions.executor import action
from actions.tracker import Tracker

FORM = "feedback_form"
# Button order = typed number: 1 非常满意 … 5 非常不满意 (the WeChat channel numbers buttons the same way).
LEVEL_BY_CHOICE = {1: 5, 2: 4, 3: 3, 4: 2, 5: 1}
# Longest words first, so 非常不满意 is not read as 满意.
LEVEL_WORDS = (
    ("非常不满意", 1),
    ("很不满意", 1),
    ("太差", 1),
    ("很差", 1),
    ("不满意", 2),
    ("不太满意", 2),
    ("差", 2),
    ("基本满意", 3),
    ("一般", 3),
    ("还行", 3),
    ("还可以", 3),
    ("凑合", 3),
    ("非常满意", 5),
    ("很满意", 5),
    ("特别满意", 5),
    ("满意", 4),
    ("挺好", 4),
    ("不错", 4),
)
_CHINESE_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5}
_CHOICE = re.compile(r"^\s*(?:第|选)?\s*([1-5１-５]|[一二两三四五])\s*(?:个|项|分|星)?\s*[.。、!！]?\s*$")
NO_COMMENT = ("没有", "没了", "不用", "没什么", "算了", "不说了", "没意见", "无")
COMMENT_FROM = 3  # a comment is asked for 基本满意 or worse
SKIPPED = "skipped"  # the resident said something else instead of rating


def offer_rating(task: str) -> list[dict[str, Any]]:
    """Events a flow's final action returns to have the resident asked for a rating."""
    return [events.slot_set("feedback_task", task), events.followup("action_offer_rating")]


def parse_level(text: str) -> int | None:
    """5 (非常满意) … 1 (非常不满意) from a typed choice number or a level word; None if neither."""
    match = _CHOICE.match(text)
    if match:
        raw = match.group(1)
        choice = _CHINESE_DIGITS.get(raw) or int(raw.translate(str.maketrans("１２３４５", "12345")))
        return LEVEL_BY_CHOICE[choice]
    compact = re.sub(r"\s+", "", text)
    if len(compact) > 12:  # a sentence about something else, not a rating
        return None
    return next((level for word, level in LEVEL_WORDS if word in compact), None)


def _this_session(tracker: Tracker) -> list[dict[str, Any]]:
    starts = [i for i, e in enumerate(tracker.events) if e.get("event") == "session_started"]
    return list(tracker.events[starts[-1] + 1 :] if starts else tracker.events)


def may_ask(tracker: Tracker) -> bool:
    """Never twice in a session, never in a sensitive one (an urgent handoff was asked for)."""
    for event in _this_session(tracker):
        if event.get("event") == "active_loop" and event.get("name") == FORM:
            return False
        handoff = (
            ((event.get("data") or {}).get("custom") or {}).get("handoff") if event.get("event") == "bot" else None
        )
        if isinstance(handoff, dict) and handoff.get("priority") == "urgent":
            return False
    return True


def _answered_since_asked(tracker: Tracker) -> bool:
    last_user = max((i for i, e in enumerate(tracker.events) if e.get("event") == "user"), default=-1)
    asked = max(
        (i for i, e in enumerate(tracker.events) if e.get("event") == "active_loop" and e.get("name") == FORM),
        default=-1,
    )
    return last_user > asked >= 0


def _replay_latest_message(tracker: Tracker) -> list[dict[str, Any]]:
    """Listen, then the resident's last message again: the dialogue answers it as if the
    rating question had not been there (Rasa predicts on from the replayed message)."""
    latest = next((e for e in reversed(tracker.events) if e.get("event") == "user"), None)
    if latest is None:
        return []
    replay = {k: latest[k] for k in ("text", "parse_data", "input_channel", "message_id", "metadata") if k in latest}
    return [{"event": "action", "name": "action_listen"}, {"event": "user", **replay}]


@action("action_offer_rating")
def offer(_dispatcher: Dispatcher, tracker: Tracker, _domain: dict[str, Any]) -> list[dict]:
    if tracker.active_loop or not may_ask(tracker):
        return []
    return [events.slot_set("feedback_level", None), events.slot_set("feedback_comment", None), events.followup(FORM)]


@action("validate_feedback_form")
def validate(dispatcher: Dispatcher, tracker: Tracker, _domain: dict[str, Any]) -> list[dict]:
    """Custom slot extraction: anything that is not an answer ends the form as skipped;
    ``action_submit_rating`` then hands the resident's message back to the dialogue so
    their new question is answered, and the rating is not asked again."""
    if not _answered_since_asked(tracker):
        return []  # the form is just starting: the resident has not seen the question yet
    requested = tracker.get_slot("requested_slot")
    text = tracker.latest_text.strip()
    if requested == "feedback_level":
        tapped = next(iter(tracker.entity_values("feedback_level")), None)
        level = int(tapped) if str(tapped) in {"1", "2", "3", "4", "5"} else parse_level(text)
        if level is None:
            return [events.slot_set("feedback_level", SKIPPED), events.slot_set("feedback_comment", "-")]
        comment_needed = level <= COMMENT_FROM
        return [events.slot_set("feedback_level", str(level))] + (
            [] if comment_needed else [events.slot_set("feedback_comment", "-")]
        )
    if requested == "feedback_comment":
        tapped = next(iter(tracker.entity_values("feedback_comment")), None)
        if tapped is not None or any(text.startswith(w) for w in NO_COMMENT) or not text:
            return [events.slot_set("feedback_comment", "-")]
        return [events.slot_set("feedback_comment", text[:1000])]
    return []


@action("action_submit_rating")
def submit(dispatcher: Dispatcher, tracker: Tracker, _domain: dict[str, Any]) -> list[dict]:
    level = tracker.get_slot("feedback_level")
    if level == SKIPPED:
        return [
            events.slot_set("feedback_level", None),
            events.slot_set("feedback_comment", None),
            events.slot_set("feedback_task", None),
            *_replay_latest_message(tracker),
        ]
    if level not in {"1", "2", "3", "4", "5"}:
        return []
    comment = tracker.get_slot("feedback_comment")
    rating = {
        "level": int(level),
        "task": tracker.get_slot("feedback_task") or "service",
        "comment": None if comment in (None, "-") else comment,
    }
    dispatcher.utter(
        response="utter_feedback_thanks_low" if int(level) <= 2 else "utter_feedback_thanks", custom={"rating": rating}
    )
    return [events.slot_set("feedback_task", None)]
