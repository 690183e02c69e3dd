"""``/admin/cemetery/``: the 清明 / 冬至 visit booking season for staff, held by the back-office (backoffice/cemetery/).

- when each season day's booking opens (the default rule, or the time the bureau announced: one time a day, for
  every cemetery);
- each gate's slot capacities of a cemetery, day by day, with what is booked; a capacity changed for one day or
  for every day of the season still to come, never below what is booked (the back-office refuses, in its words);
- the gate attendants' check-in codes (核验码) that mark a booking used at the gate: issued (the code is shown
  once), listed, stopped.

An admin page (``web/admin``: signed in, supervisor or administrator, CSRF on every POST). Every change is an
audit entry (``cemetery_*``) with who made it; the back-office is told who too (``X-Editor``).
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for

from common.backoffice_client import BackofficeUnavailable
from web import admin
from web.admin import backoffice

bp = admin.blueprint("cemetery_admin", __name__, url_prefix="/admin/cemetery")
SEASON = "season"  # the capacity form's choice "every day of the season still to come"


def _page(code: str) -> str:
    return url_for("cemetery_admin.page", c=code)


def _back(code: str):
    return redirect(_page(code))


@bp.get("/")
def page():
    try:
        cemeteries = backoffice.client().get("/cemeteries").get("cemeteries", [])
        if not cemeteries:
            return render_template("admin/cemetery.html", down=False, cemeteries=[])
        chosen = next((c for c in cemeteries if c["code"] == request.args.get("c")), cemeteries[0])
        season = backoffice.client().get(f"/cemeteries/{chosen['code']}/plan")
        attendants = backoffice.client().get(f"/cemeteries/{chosen['code']}/attendants").get("attendants", [])
    except BackofficeUnavailable:
        return render_template("admin/cemetery.html", down=True), 503
    days = season["days"]
    return render_template(
        "admin/cemetery.html",
        down=False,
        cemeteries=cemeteries,
        chosen=chosen,
        season=season["season"],
        days=days,
        slots=days[0]["slots"] if days else [],
        attendants=attendants,
        to_come=[d for d in days if not d["past"]],
    )


@bp.post("/openings/<day>")
def save_opening(day: str):
    code = request.form.get("cemetery", "")
    opens_at = request.form.get("opens_at", "").strip()
    body = {"opens_at": opens_at}
    if backoffice.write(lambda bo: bo.put(f"/cemetery/openings/{day}", body, headers=backoffice.editor())) is None:
        return _back(code)
    return backoffice.done(
        _page(code),
        "cemetery_opening",
        f"已保存：{day} 的祭扫预约从 {opens_at.replace('T', ' ')} 开始，各公墓都按这个时间开放。",
        day=day,
        opens_at=opens_at,
    )


def _days(code: str, chosen: str) -> list[str] | None:
    """The days a capacity form means: one day, or every day of the season still to come (read from the plan)."""
    if chosen != SEASON:
        return [chosen]
    try:
        season = backoffice.client().get(f"/cemeteries/{code}/plan")
    except BackofficeUnavailable:
        flash(backoffice.DOWN, "error")
        return None
    return [d["date"] for d in season["days"] if not d["past"]]


@bp.post("/capacity")
def save_capacity():
    code = request.form.get("cemetery", "")
    gate, _, start = request.form.get("slot", "").partition("|")
    raw = request.form.get("capacity", "").strip()
    if not raw.isdigit():
        flash("名额请填一个整数（人数）。", "error")
        return _back(code)
    days = _days(code, request.form.get("days", SEASON))
    if days is None:
        return _back(code)
    body: dict[str, Any] = {"start": start, "capacity": int(raw), "dates": days}
    if (
        backoffice.write(lambda bo: bo.put(f"/cemetery/gates/{gate}/capacity", body, headers=backoffice.editor()))
        is None
    ):
        return _back(code)
    which = "这一季还没过的每一天" if len(days) > 1 else days[0]
    return backoffice.done(
        _page(code),
        "cemetery_capacity",
        f"名额已改成 {raw} 人（{which}，{start} 开始的时段），居民马上就能按新名额预约；排候补的人有名额会自动约上并收到通知。",
        cemetery=code,
        gate=gate,
        start=start,
        capacity=int(raw),
        days=days,
    )


@bp.post("/attendants")
def issue_attendant():
    code = request.form.get("cemetery", "")
    body = {"name": request.form.get("name", "").strip(), "valid_until": request.form.get("valid_until", "")}
    issued = backoffice.write(lambda bo: bo.post(f"/cemeteries/{code}/attendants", body, headers=backoffice.editor()))
    if issued is None:
        return _back(code)
    return backoffice.done(
        _page(code),
        "cemetery_attendant",
        f"已给 {issued['name']} 发了核验码：{issued['code']}，用到 {issued['valid_until']}。"
        "这个码只显示这一次，请当面或电话告诉本人，不要发在群里。",
        cemetery=code,
        attendant=issued["id"],
        name=issued["name"],
        valid_until=issued["valid_until"],
    )


@bp.post("/attendants/<int:attendant_id>/revoke")
def revoke_attendant(attendant_id: int):
    code = request.form.get("cemetery", "")
    path = f"/cemetery/attendants/{attendant_id}/revoke"
    revoked = backoffice.write(lambda bo: bo.post(path, {}, headers=backoffice.editor()))
    if revoked is None:
        return _back(code)
    return backoffice.done(
        _page(code),
        "cemetery_attendant_revoke",
        f"{revoked['name']} 的核验码已经停用，马上失效。",
        cemetery=code,
        attendant=attendant_id,
    )
