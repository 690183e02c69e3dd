"""A change from the back-office's feed as the resident reads it, in each channel's shape.

The words are data: the full text from web/texts/texts.yml (with the back-office's own plain
words for each review step), the template ids from ``templates.yml`` beside this file, the
subscription notices' from web/subscriptions/templates.yml. Short fields keep WeChat's rules
(a ``phrase`` at most 5 汉字, a ``thing`` or template field at most 20 characters, no line breaks).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from common.dates import full_date
from web.notify import Notice
from web.outbound.service import Template
from web.texts import text

TEMPLATES = Path(__file__).with_name("templates.yml")
FIELD_MAX = 20
# A review step in at most five 汉字 (a notice's ``phrase``, a template's state field).
SHORT_STATUS = {
    "受理": "已受理",
    "入户调查": "入户调查",
    "经济状况核对": "收入核对",
    "审核公示": "审核公示",
    "审批": "审批中",
    "发放": "已批准",
    "退回": "已退回",
    "不予批准": "未批准",
    "submitted": "已受理",
    "scheduled": "已约上门",
    "assessed": "评估完成",
    "surveyed": "已勘查",
    "in_progress": "施工中",
    "completed": "已完工",
    "rejected": "未通过",
    "cancelled": "已取消",
}
ASK_ME = "有疑问可回复公众号"


@dataclass(frozen=True)
class Change:
    """One change of the feed (``GET /changes``), as plain values."""

    id: int
    domain: str
    kind: str
    ref: str
    recipient: str
    status: str
    data: dict[str, Any]
    at: datetime

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Change:
        return cls(
            id=int(raw["id"]),
            domain=str(raw.get("domain", "")),
            kind=str(raw.get("kind", "")),
            ref=str(raw.get("ref", "")),
            recipient=str(raw.get("recipient", "")),
            status=str(raw.get("status", "")),
            data=dict(raw.get("data") or {}),
            at=datetime.fromisoformat(str(raw["at"])),
        )


@cache
def _template_ids() -> dict[str, str]:
    raw = yaml.safe_load(TEMPLATES.read_text(encoding="utf-8")) or {}
    return {key: str(value["template_id"]) for key, value in raw.items()}


def fit(value: str, limit: int = FIELD_MAX) -> str:
    """One line of at most ``limit`` characters (cut with … rather than refused)."""
    value = " ".join(str(value).split())
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _when(moment: datetime) -> str:
    return f"{full_date(moment)} {moment:%H:%M}"


class _Values(dict):
    """A change's values for a text; one the back-office did not send reads as nothing, not an error."""

    def __missing__(self, key: str) -> str:
        return ""


def _values(change: Change) -> _Values:
    return _Values({k: str(v) for k, v in change.data.items() if v is not None} | {"ref": change.ref})


def notice_for(change: Change) -> Notice | None:
    """What the resident is told of ``change``; None for a kind this platform does not know."""
    if change.kind == "status":
        return _status(change)
    if change.kind == "reminder":
        return _reminder(change)
    if change.kind == "cancelled":
        return _cancelled(change)
    if change.kind == "waitlist_booked":
        return _waitlist_booked(change)
    if change.kind == "opening_moved":
        return _opening_moved(change)
    return None


def _status(change: Change) -> Notice:
    values = _values(change)
    lines = [text("status_update").format_map(values)]
    if values.get("reason"):
        lines.append(text("status_update_reason").format_map(values))
    if values.get("next_step"):
        lines.append(text("status_update_next").format_map(values))
    lines.append(text("status_update_help"))
    short = SHORT_STATUS.get(change.status, "有新进展")
    reason = values.get("reason", "")
    return Notice(
        text="\n".join(lines),
        notice_key="status",
        notice_values={
            "thing1": fit(values.get("what", "您的申请")),
            "phrase2": short,
            "time3": _when(change.at),
            "thing4": reason if 0 < len(reason) <= FIELD_MAX and "\n" not in reason else ASK_ME,
        },
        template=Template(
            _template_ids()["status"],
            {
                "thing1": {"value": fit(values.get("what", "您的申请"))},
                "character_string2": {"value": fit(change.ref)},
                "phrase3": {"value": short},
                "time4": {"value": _when(change.at)},
            },
        ),
    )


def _appointment_time(values: dict[str, str]) -> str:
    start, end = values.get("start", ""), values.get("end", "")
    when = f"{full_date(values['date'])} {start}" if values.get("date") else start
    return f"{when}~{end}" if end else when


def _reminder(change: Change) -> Notice:
    values = _values(change)
    return Notice(
        text=text("appointment_reminder").format_map(values),
        notice_key="appointment",
        notice_values={
            "thing1": fit(values.get("what", "婚姻登记")),
            "time2": _appointment_time(values),
            "thing3": fit(values.get("office", "")),
        },
        template=Template(
            _template_ids()["appointment"],
            {
                "thing1": {"value": fit(values.get("what", "婚姻登记"))},
                "character_string2": {"value": fit(change.ref)},
                "time3": {"value": fit(_appointment_time(values))},
                "thing4": {"value": fit(values.get("office", ""))},
            },
        ),
    )


def _cancelled(change: Change) -> Notice:
    values = _values(change)
    what = fit(values.get("what", "婚姻登记") + "预约")
    reason = values.get("reason", "")
    return Notice(
        text=text("appointment_cancelled").format_map(values),
        notice_key="status",
        notice_values={
            "thing1": what,
            "phrase2": "已取消",
            "time3": _when(change.at),
            "thing4": reason if 0 < len(reason) <= FIELD_MAX else ASK_ME,
        },
        template=Template(
            _template_ids()["status"],
            {
                "thing1": {"value": what},
                "character_string2": {"value": fit(change.ref)},
                "phrase3": {"value": "已取消"},
                "time4": {"value": _when(change.at)},
            },
        ),
    )


def _waitlist_booked(change: Change) -> Notice:
    """A waiting-list place became a booking (祭扫): the day, gate, time, people, number and the gate link."""
    return _cemetery_booking(change, "cemetery_waitlist_booked", "祭扫预约（候补约上了）")


def _opening_moved(change: Change) -> Notice:
    """Staff changed when booking the day of the resident's 祭扫 booking opens: the new time, that the booking
    stands, and how to move or cancel it."""
    return _cemetery_booking(change, "cemetery_opening_moved", "祭扫预约（开放时间改了）")


def _cemetery_booking(change: Change, text_key: str, title: str) -> Notice:
    """A notice about one 祭扫 booking (``title`` names what happened); a tapped notice or template message opens
    the gate link."""
    values = _values(change)
    place = fit(values.get("cemetery", "") + values.get("gate", ""))
    link = values.get("gate_url") or None
    return Notice(
        text=text(text_key).format_map(values),
        notice_key="appointment",
        notice_values={"thing1": title, "time2": _appointment_time(values), "thing3": place},
        template=Template(
            _template_ids()["appointment"],
            {
                "thing1": {"value": title},
                "character_string2": {"value": fit(change.ref)},
                "time3": {"value": _appointment_time({**values, "end": ""})},  # the start: a period is over 20
                "thing4": {"value": place},
            },
            url=link,
        ),
        page=link,
    )
