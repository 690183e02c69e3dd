"""Chinese names for the bot's internal names (``labels.yml``): staff read 社会救助申请, not
``assistance_apply_form``. A name the file does not know is shown as it is."""

from __future__ import annotations

from functools import lru_cache, partial
from pathlib import Path

import yaml
from flask import Flask

from common import danger as dangers

KINDS = {
    "flow": "flows",
    "step": "steps",
    "intent": "intents",
    "reason": "handoff_reasons",
    "task": "tasks",
    "topic": "topics",
}
RULE_PREFIX = "rule:"  # a handoff by an administrator's keyword rule: "rule:<rule name>"
DANGER_PREFIX = "danger:"  # a resident in danger: "danger:<kind>/<who>" (common/danger)


@lru_cache(maxsize=1)
def _table() -> dict[str, dict[str, str]]:
    data = yaml.safe_load(Path(__file__).with_name("labels.yml").read_text(encoding="utf-8"))
    return {kind: {str(k): str(v) for k, v in (data.get(section) or {}).items()} for kind, section in KINDS.items()}


def label(kind: str, name: str | None) -> str:
    """``label("flow", "assistance_apply_form")`` → 社会救助申请; unknown names come back unchanged."""
    if name is None:
        return ""
    if kind == "reason" and name.startswith(RULE_PREFIX):
        return "规则：" + name[len(RULE_PREFIX) :]
    if kind == "reason" and name.startswith(DANGER_PREFIX):
        what, _, who = name[len(DANGER_PREFIX) :].partition("/")
        return f"危险·{dangers.label(what)}（{dangers.who_label(who)}）" if who else f"危险·{dangers.label(what)}"
    return _table()[kind].get(name, name)


def init_app(app: Flask) -> None:
    """Template filters ``flow_label``, ``step_label``, ``intent_label``, ``reason_label``, ``task_label``, ``topic_label``."""
    for kind in KINDS:
        app.add_template_filter(partial(label, kind), f"{kind}_label")
