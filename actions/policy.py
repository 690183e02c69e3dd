"""Policy notifications (政策找人): which benefits may apply to me, and push consent.

退订 / TD and 有新政策告诉我 change the platform's one consent record: the action only
asks for it, with the custom payload ``{"consent": {"withdrawn": true|false}}`` that the
web app's side effects apply (``web/outbound/consent.py``, registered in ``web/services.py``)
and never show.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from actions import identity
from actions.assistance.registry import bound_resident
from actions.dispatcher import Dispatcher
from actions.executor import action
from actions.tracker import Tracker

HINTS = Path(__file__).with_name("policy_hints.yml")
DIBAO_HINT = 1510  # yuan per person per month: only decides whether to *suggest* the 低保 pre-check


@lru_cache(maxsize=1)
def hints() -> list[dict[str, Any]]:
    return yaml.safe_load(HINTS.read_text(encoding="utf-8"))["hints"]


def _applies(when: dict[str, Any], r: dict[str, Any]) -> bool:
    household = r.get("household") or {}
    members = max(1, len(household.get("members") or []))
    checks = {
        "min_age": lambda v: r.get("age", 0) >= v,
        "disability": lambda v: (r.get("disability_grade", 0) > 0) == v,
        "living_alone": lambda v: bool(r.get("living_alone")) == v,
        "income_below_dibao_hint": lambda v: (household.get("monthly_income", 10**9) / members <= DIBAO_HINT) == v,
    }
    return all(checks[k](v) for k, v in when.items() if k in checks)


@action("action_policy_my_benefits")
def my_benefits(dispatcher: Dispatcher, tracker: Tracker, _domain: dict[str, Any]) -> list[dict]:
    resident = bound_resident(tracker.sender_id)
    if resident is None:
        identity.ask_to_verify(dispatcher, "/policy_my_benefits", "补贴查询")
        return []
    held = [b for b in resident.get("benefits") or []]
    lines = [f"您现在享受的有：{'、'.join(held)}。" if held else "登记里您现在还没有领取的补贴。"]
    new = [h for h in hints() if h["benefit"] not in held and _applies(h.get("when", {}), resident)]
    if new:
        lines.append("您可能还可以看看这些：")
        lines += [f"{i}. {h['say']}想办的话，说“{h['ask']}”就行。" for i, h in enumerate(new, 1)]
    else:
        lines.append(
            "按登记的情况，暂时没有看到您还能申请的补贴。家里情况有变化（比如生病、收入减少），可以说“申请临时救助”或者“转人工”。"
        )
    lines.append("有新政策时想让我告诉您，说“有新政策告诉我”就行。")
    dispatcher.utter("\n".join(lines))
    return []


@action("action_policy_subscribe")
def subscribe(dispatcher: Dispatcher, _tracker: Tracker, _domain: dict[str, Any]) -> list[dict]:
    dispatcher.utter(response="utter_policy_subscribed", custom={"consent": {"withdrawn": False}})
    return []


UNSUBSCRIBE = "/policy_unsubscribe"  # what 退订 / TD become (web/policy/reply.py), and the confirming choice


@action("action_policy_unsubscribe")
def unsubscribe(dispatcher: Dispatcher, tracker: Tracker, _domain: dict[str, Any]) -> list[dict]:
    """退订 / TD (intent syntax from the platform) or the confirming choice withdraw push consent at
    once; words the NLU merely read as 'stop the notifications' are confirmed first, so that
    nobody loses the notices of benefits they may be owed over a misread message."""
    if not tracker.latest_text.startswith("/"):
        dispatcher.utter(
            response="utter_policy_unsubscribe_confirm",
            buttons=[{"title": "是的，不用再推送了", "payload": UNSUBSCRIBE}],
        )
        return []
    dispatcher.utter(response="utter_policy_unsubscribed", custom={"consent": {"withdrawn": True}})
    return []
