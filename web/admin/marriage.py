"""``/admin/marriage/``: the marriage registration calendar for staff, held by the back-office.

- the State Council's holiday arrangement of each year: until it is entered here, the back-office offers
  the year's days by the statutory holidays and tells residents so; entered (one holiday range a line, the
  adjusted working days), the offices go by it at once, and the upcoming appointments that now fall on a
  holiday are listed for staff to call (and, if need be, to cancel for the office: the resident is told);
- each office's booking rules (window, cut-off, cancellation deadline, no-show rule);
- recording a no-show.

An admin page (``web/admin``: signed in, supervisor or administrator, CSRF on every POST). Every change is an
audit entry (``marriage_*``) with who made it; the back-office is told who too (``X-Editor``): web/admin/backoffice.py.
"""

from __future__ import annotations

import re
from typing import Any

from flask import flash, redirect, render_template, request, url_for

from common.backoffice_client import BackofficeUnavailable
from web import admin
from web.admin import backoffice

bp = admin.blueprint("marriage_admin", __name__, url_prefix="/admin/marriage")

RULE_FIELDS = (
    ("earliest_days_ahead", "最早提前几天预约（1 = 最早约明天）"),
    ("cutoff", "最早那天的号，前一天几点截止（如 15:00）"),
    ("horizon_days", "最远可以约多少天以后"),
    ("cancel_days_before", "居民最晚提前几天取消或改约（0 = 当天也可以）"),
    ("no_show_limit", "几次预约了没来"),
    ("no_show_period_days", "在多少天之内"),
    ("no_show_ban_days", "就暂停网上预约多少天"),
)
SOURCES = {
    "entered": "已录入国务院通知",
    "published": "已公布（系统自带）",
    "provisional": "还没有公布：按法定节假日推算",
}
RANGE_LINE = re.compile(r"^(\S+?)\s+(\d{4}-\d{1,2}-\d{1,2})(?:\s*(?:至|到|~|—|\s)\s*(\d{4}-\d{1,2}-\d{1,2}))?$")


def _back():
    return redirect(url_for("marriage_admin.page"))


def _done(action: str, told: str, **detail: Any):
    return backoffice.done(url_for("marriage_admin.page"), action, told, **detail)


def parse_holidays(text: str) -> tuple[list[dict[str, str]], list[str]]:
    """One range a line, "春节 2027-02-05 2027-02-11" (one day: "元旦 2027-01-01"); the lines not understood."""
    ranges, wrong = [], []
    for line in (raw.strip() for raw in text.splitlines()):
        if not line:
            continue
        m = RANGE_LINE.match(line)
        if m is None:
            wrong.append(line)
            continue
        ranges.append({"name": m.group(1), "first": m.group(2), "last": m.group(3) or m.group(2)})
    return ranges, wrong


@bp.get("/")
def page():
    try:
        overview = backoffice.client().get("/marriage/holiday-arrangements")
        offices = backoffice.client().get("/offices").get("offices", [])
        rules = {o["code"]: backoffice.client().get(f"/marriage/offices/{o['code']}/booking-rules") for o in offices}
    except BackofficeUnavailable:
        return render_template("admin/marriage.html", down=True, years=[], flagged=[], offices=[], rules={}), 503
    return render_template(
        "admin/marriage.html",
        down=False,
        years=overview.get("years", []),
        flagged=overview.get("flagged", []),
        offices=offices,
        rules=rules,
        rule_fields=RULE_FIELDS,
        sources=SOURCES,
    )


@bp.post("/holidays/<int:year>")
def save_holidays(year: int):
    holidays, wrong = parse_holidays(request.form.get("holidays", ""))
    workdays = request.form.get("workdays", "").split()
    if wrong:
        flash(f"这几行没看懂，请写成“春节 {year}-02-05 {year}-02-11”：" + "；".join(wrong), "error")
        return _back()
    body = {"holidays": holidays, "workdays": workdays}
    saved = backoffice.write(
        lambda bo: bo.put(f"/marriage/holiday-arrangements/{year}", body, headers=backoffice.editor())
    )
    if saved is None:
        return _back()
    flagged = [a for a in saved.get("flagged", []) if a["date"].startswith(str(year))]
    told = f"其中有 {len(flagged)} 个预约落在放假的日子，已在下面标出，请联系当事人改约。" if flagged else ""
    return _done(
        "marriage_holidays",
        f"{year}年的放假安排已保存，各登记处马上按它开放预约。{told}",
        year=year,
        holidays=len(holidays),
        workdays=len(workdays),
        flagged=len(flagged),
    )


@bp.post("/rules/<code>")
def save_rules(code: str):
    body: dict[str, Any] = {name: request.form.get(name, "").strip() for name, _ in RULE_FIELDS}
    if (
        backoffice.write(
            lambda bo: bo.put(f"/marriage/offices/{code}/booking-rules", body, headers=backoffice.editor())
        )
        is None
    ):
        return _back()
    return _done("marriage_booking_rules", "预约规则已保存，居民下一次预约就按新规则。", office=code, **body)


@bp.post("/no-show")
def no_show():
    number = request.form.get("number", "").strip().upper()
    if backoffice.write(lambda bo: bo.post(f"/marriage/appointments/{number}/no-show", {}), f"{number}：") is None:
        return _back()
    return _done("marriage_no_show", f"已记下 {number} 爽约。", appointment=number)


@bp.post("/cancel")
def cancel():
    """Cancel a flagged appointment for the office: the place is freed and the resident told, with the reason."""
    number = request.form.get("number", "").strip()
    reason = request.form.get("reason", "").strip()
    cancelled = backoffice.write(
        lambda bo: bo.post(f"/marriage/appointments/{number}/office-cancel", {"reason": reason}), f"{number}："
    )
    if cancelled is None:
        return _back()
    return _done(
        "marriage_office_cancel", f"已取消 {number}，会告诉预约的人原因。", appointment=number, reason=reason[:60]
    )
