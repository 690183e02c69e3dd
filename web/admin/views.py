"""``/admin/``: the staff's landing page, and the one navigation every admin page shows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app, render_template, request
from flask_login import current_user

from common.db import session as db_session
from web.admin import blueprint, guard

bp = blueprint("admin", __name__, url_prefix="/admin")


@dataclass(frozen=True)
class Section:
    endpoint: str
    title: str
    summary: str  # one line on the landing page
    current: str  # the endpoints (by prefix) that count as this section, for the menu's highlight
    roles: tuple[str, ...] = guard.STAFF


SECTIONS = (
    Section(
        "analytics.page",
        "数据分析",
        "对话量、机器人独立办结率、转人工原因、各项业务办结情况、好差评和最常见的问题。",
        "analytics.",
    ),
    Section(
        "policy_admin.index",
        "政策找人",
        "按条件从户籍库找出可能符合待遇、还没有领的居民，给他们推送告知。",
        "policy_admin.",
    ),
    Section(
        "handbook_admin.list_page",
        "政策工具书",
        "修改智能助手回答政策问题时用的条目，改完马上生效。",
        "handbook_admin.",
    ),
    Section("review.inbox_page", "语料审核", "机器人没听懂或拿不准的话：标上意图，加进训练数据。", "review."),
    Section(
        "feedback.follow_ups", "差评回访", "居民打了“不满意”或“非常不满意”的服务，回访后在这里记一笔。", "feedback."
    ),
    Section("console.canned_page", "快捷回复", "坐席回复居民时一键插入的常用语。", "console.canned"),
    Section(
        "marriage_admin.page",
        "婚姻登记预约",
        "录入国务院公布的放假安排、联系落在放假日的预约、各登记处的预约规则、登记爽约。",
        "marriage_admin.",
    ),
    Section(
        "cemetery_admin.page",
        "祭扫预约",
        "清明、冬至祭扫：每天什么时候开始预约、各入口每个时段的名额、门岗核验码。",
        "cemetery_admin.",
    ),
    Section(
        "oncall.rota_page",
        "下班值班",
        "下班后有人遇到危险时马上通知谁：值班表、升级名单和最近的值班通知。",
        "oncall.",
    ),
    Section(
        "console.admin_page",
        "转人工规则与工作时间",
        "哪些话直接转人工，热线几点到几点有人接。",
        "console.admin_page",
        roles=("admin",),
    ),
)


def visible_sections() -> list[Section]:
    """The sections the signed-in account may open (and this app serves)."""
    if not current_user.is_authenticated:
        return []
    return [s for s in SECTIONS if current_user.role in s.roles and s.endpoint in current_app.view_functions]


def navigation() -> dict[str, Any]:
    """Template context: the menu of ``admin/base.html`` and the section being shown."""
    endpoint = request.endpoint or ""
    sections = visible_sections()
    current = next((s for s in sections if endpoint.startswith(s.current)), None)
    return {"admin_sections": sections, "admin_current": current, "role_names": guard.ROLE_NAMES}


def _to_do() -> tuple[dict[str, int], dict[str, str]]:
    """What is waiting for staff, shown beside the sections on the landing page (counted by
    the features themselves: the ``Waiting`` given to ``web.admin.init_app``)."""
    sess = db_session()
    waiting = current_app.extensions.get("admin_waiting", ())
    return {w.endpoint: w.count(sess) for w in waiting}, {w.endpoint: w.text for w in waiting}


@bp.get("/")
def index():
    to_do, to_do_text = _to_do()
    return render_template("admin/index.html", to_do=to_do, to_do_text=to_do_text)
