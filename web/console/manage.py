"""What supervisors and administrators edit: canned replies (supervisor, admin), handoff
rules and working hours (admin)."""

from __future__ import annotations

import re

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import select

from common.db import session as db_session
from web.admin.audit import audit
from web.admin.guard import requires
from web.console.blueprint import bp
from web.handoff.config import DAY_NAMES, DAYS
from web.handoff.models import PRIORITY_RANK, AgentGroup, CannedReply, HandoffRule, WorkingHours

HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")


@bp.get("/canned")
@requires("supervisor", "admin")
def canned_page():
    return render_template(
        "console/canned.html", replies=db_session().scalars(select(CannedReply).order_by(CannedReply.title)).all()
    )


@bp.post("/canned")
@requires("supervisor", "admin")
def canned_save():
    sess = db_session()
    reply_id = request.form.get("id", type=int)
    title, text = request.form.get("title", "").strip()[:40], request.form.get("text", "").strip()[:2000]
    row = sess.get(CannedReply, reply_id) if reply_id else None
    if request.form.get("delete") and row is not None:
        sess.delete(row)
    elif title and text:
        if row is None:
            sess.add(CannedReply(title=title, text=text))
        else:
            row.title, row.text = title, text
    else:
        flash("标题和内容都要填写。", "error")
        return redirect(url_for("console.canned_page"))
    audit(sess, "edit_canned_reply", None, id=reply_id, title=title)
    sess.commit()
    return redirect(url_for("console.canned_page"))


@bp.get("/admin")
@requires("admin")
def admin_page():
    sess = db_session()
    hours = {row.day: row for row in sess.scalars(select(WorkingHours))}
    return render_template(
        "console/admin.html",
        rules=sess.scalars(select(HandoffRule).order_by(HandoffRule.name)).all(),
        groups=sess.scalars(select(AgentGroup).order_by(AgentGroup.name)).all(),
        hours=hours,
        days=DAYS + ("holiday",),
        day_names=DAY_NAMES,
    )


@bp.post("/admin/rules")
@requires("admin")
def rule_save():
    sess = db_session()
    rule_id = request.form.get("id", type=int)
    row = sess.get(HandoffRule, rule_id) if rule_id else None
    if request.form.get("delete") and row is not None:
        sess.delete(row)
    else:
        name, keywords = request.form.get("name", "").strip()[:40], request.form.get("keywords", "").strip()
        priority = request.form.get("priority", "normal")
        group_id = request.form.get("group_id", type=int)
        if not name or not keywords or priority not in PRIORITY_RANK:
            flash("规则名称和关键词都要填写。", "error")
            return redirect(url_for("console.admin_page"))
        row = row or HandoffRule(name=name, keywords=keywords)
        row.name, row.keywords, row.priority, row.active = name, keywords, priority, bool(request.form.get("active"))
        row.group_id = group_id if group_id and sess.get(AgentGroup, group_id) else None
        sess.add(row)
    audit(sess, "edit_handoff_rule", None, id=rule_id)
    sess.commit()
    return redirect(url_for("console.admin_page"))


@bp.post("/admin/hours")
@requires("admin")
def hours_save():
    sess = db_session()
    for day in DAYS + ("holiday",):
        opens, closes = request.form.get(f"{day}_opens", "").strip(), request.form.get(f"{day}_closes", "").strip()
        row = sess.get(WorkingHours, day)
        if not opens and not closes:
            if row is not None:
                sess.delete(row)
            continue
        if not (HHMM.match(opens) and HHMM.match(closes) and opens < closes):
            sess.rollback()
            flash(f"{DAY_NAMES[day]}的时间不对，请用 09:00 这样的格式，下班时间要晚于上班时间。", "error")
            return redirect(url_for("console.admin_page"))
        if row is None:
            sess.add(WorkingHours(day=day, opens=opens, closes=closes))
        else:
            row.opens, row.closes = opens, closes
    audit(sess, "edit_working_hours", None)
    sess.commit()
    return redirect(url_for("console.admin_page"))
