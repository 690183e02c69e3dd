"""The campaign's message as the resident will see it, and the conversation a reply starts — for staff.

The notice is a subscription notice (订阅通知): a template the account chose in WeChat (its title and
its fields, ``web/subscriptions/templates.yml``) with one text per field. :func:`preview` fills the
texts as WeChat will show them to one resident and checks each field against WeChat's rules
(``web/wechat_api/rules.py``, the one place they are written), so the page can say what is wrong while
the staff member types. ``{name}`` counts as :data:`~web.policy.delivery.NAME_FOR_CHECK` there, as when
the campaign is started.

What a reply starts is chosen in words from ``flows.yaml`` (申请临时救助), never typed as intent syntax.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from web.policy.delivery import NAME_FOR_CHECK, fill
from web.subscriptions import templates
from web.wechat_api.rules import NOTICE_TYPES, notice_problems, notice_type

CAMPAIGN_TEMPLATE = "policy"  # templates.yml: the notice campaigns use unless staff name another
SAMPLE_NAME = "王秀英"  # how the preview shows {name}


@dataclass(frozen=True)
class Flow:
    key: str
    label: str  # in the staff member's words: 申请临时救助
    payload: str  # what the bot receives instead of the reply
    benefits: tuple[str, ...]  # the campaigns' benefits it is chosen for by default


@cache
def flows() -> dict[str, Flow]:
    raw = yaml.safe_load((Path(__file__).parent / "flows.yaml").read_text(encoding="utf-8"))
    return {k: Flow(k, v["label"], v["payload"], tuple(v.get("benefits") or ())) for k, v in raw.items()}


def flow_for_payload(payload: str) -> Flow | None:
    return next((f for f in flows().values() if f.payload == payload), None)


def template_for(template_id: str) -> templates.NoticeTemplate:
    """The account's template with this id, or the campaigns' own when the id is not in templates.yml
    (its field layout is the one offered)."""
    return next(
        (t for t in templates.all_templates().values() if t.template_id == template_id),
        templates.get(CAMPAIGN_TEMPLATE),
    )


def preview(template_id: str, fields: dict[str, str], benefit: str) -> dict[str, Any]:
    """The notice one resident receives, field by field: what it says (``shown``, with a sample name),
    how long it is as checked (``{name}`` as four characters) and what WeChat's rules say about it."""
    tpl = template_for(template_id)
    rows = []
    for key, label in tpl.fields.items():
        written = fields.get(key, "")
        checked = fill(written, NAME_FOR_CHECK, benefit)
        kind = notice_type(key)
        rows.append(
            {
                "key": key,
                "label": label,
                "written": written,
                "shown": fill(written, SAMPLE_NAME, benefit),
                "length": len(checked),
                "rule": NOTICE_TYPES[kind][0] if kind else "",
                "problems": notice_problems({key: checked}) if written else [f"请填写“{label}”"],
            }
        )
    extra = sorted(set(fields) - set(tpl.fields))
    return {
        "title": tpl.title,
        "template_id": template_id,
        "rows": rows,
        "problems": [f"模板“{tpl.title}”没有字段 {k}" for k in extra],
    }
