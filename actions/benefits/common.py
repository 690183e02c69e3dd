"""What the funeral and disability actions share: submitting (or keeping it in the outbox), progress."""

from __future__ import annotations

import hashlib
from typing import Any

from actions import identity, services
from actions.dispatcher import Dispatcher
from actions.tracker import Tracker
from common.backoffice_client import BackofficeError, BackofficeUnavailable

OUTBOX_KIND = "benefit_application"
SHOWN = 3  # most recent applications told


def idempotency_key(tracker: Tracker, what: str) -> str:
    """The same for every retry of this confirmation: the sender, what is applied for, the confirming message."""
    user = next((e for e in reversed(tracker.events) if e.get("event") == "user"), {})
    mark = user.get("message_id") or user.get("timestamp") or tracker.latest_text
    return "bf-" + hashlib.sha256(f"{tracker.sender_id}|{what}|{mark}".encode()).hexdigest()[:40]


def submit(
    dispatcher: Dispatcher,
    tracker: Tracker,
    body: dict[str, Any],
    key: str,
    saved: str | None,
    resume: tuple[str, str],
) -> dict[str, Any] | None:
    """The case made, or None after telling why not: kept in the outbox while the back-office is down (the
    platform submits it with the same key and tells the case number), a verification asked for, or the
    back-office's refusal in its own words."""
    try:
        return services.backoffice().post("/benefits/applications", body, idempotency_key=key)
    except BackofficeUnavailable:
        keep(dispatcher, body, key, saved)
    except BackofficeError as exc:
        if exc.code == identity.NOT_BOUND:
            identity.ask_to_verify(dispatcher, *resume)
        else:
            dispatcher.utter(exc.message)
    return None


def keep(dispatcher: Dispatcher, body: dict[str, Any], key: str, saved: str | None) -> None:
    """Hand the application to the platform's outbox; ``saved`` tells the resident (once for several cases)."""
    outbox = {"outbox": {"kind": OUTBOX_KIND, "id": key, "body": body}}
    dispatcher.utter(None if saved else "", response=saved, custom=outbox)


def previous_bot_action(tracker: Tracker) -> str | None:
    """The last action before the resident's latest message (action_listen aside)."""
    seen_user = False
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            seen_user = True
        elif seen_user and event.get("event") == "action" and event.get("name") != "action_listen":
            return event.get("name")
    return None


def answered(tracker: Tracker, name: str) -> bool:
    """``name`` already ran since the resident's latest message."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return False
        if event.get("event") == "action" and event.get("name") == name:
            return True
    return False


PHOTOS = "这些材料都可以直接拍照发给我，我帮您放进申请里；还差哪些，随时问我“还缺什么材料”。"


def documents(*cases: dict[str, Any]) -> str:
    """What the cases need, each kind once (both subsidies of 两项补贴 share most), and that they can be
    sent as photos (the platform keeps them with the cases: docs/documents.md)."""
    names = dict.fromkeys(d["name"] for case in cases for d in case["required_documents"])
    return f"请准备好这些材料：{'、'.join(names)}。{PHOTOS}"


def describe(case: dict[str, Any]) -> str:
    who = case["subject"]["name"] + ("（您本人）" if case["subject"]["relation"] == "本人" else "")
    line = f"编号 {case['case_no']}（{case['title']}，{who}）\n现在：{case['status_text']}。"
    if case["status_reason"]:
        line += f"\n原因：{case['status_reason']}"
    if case["next_step"]:
        line += f"\n下一步：{case['next_step']}"
    return line


def progress(dispatcher: Dispatcher, tracker: Tracker, topic: str, none_response: str, what: str) -> list[dict]:
    """The resident's own applications of ``topic`` (funeral or disability), newest first."""
    try:
        cases = services.backoffice().get("/benefits/applications", openid=tracker.sender_id, topic=topic)
    except BackofficeUnavailable:
        dispatcher.utter(response="utter_backoffice_down")
        return []
    except BackofficeError as exc:
        if exc.code == identity.NOT_BOUND:
            identity.ask_to_verify(dispatcher, f"/{topic}_subsidy_progress", what)
        else:
            dispatcher.utter(exc.message)
        return []
    if not cases["applications"]:
        dispatcher.utter(response=none_response)
        return []
    dispatcher.utter("帮您查到了：\n\n" + "\n\n".join(describe(c) for c in cases["applications"][:SHOWN]))
    return []
