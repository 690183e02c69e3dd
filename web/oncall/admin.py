"""``/admin/oncall``: the on-call rota (who, their phone, their weekly shifts, the escalation list)
and the latest alerts. An admin page (``web/admin``: signed in, supervisor or administrator,
CSRF on every POST). Every change of the rota is an audit entry (``oncall_*``: who, what, the phone
masked), written in the transaction that makes it."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from common.db import session as db_session
from common.masking import is_valid_phone, mask_phone
from web import admin
from web.admin.audit import audit
from web.oncall import coverage, rota, status
from web.oncall.config import oncall
from web.oncall.models import OncallAlert, OncallShift, OncallWorker
from web.workdays import DAY_NAMES, utcnow

bp = admin.blueprint("oncall", __name__, url_prefix="/admin/oncall")
WAITING = admin.Waiting("oncall.rota_page", status.failed_open, "次通知值班失败，请电话联系居民")
RECENT_ALERTS = 20


def _back():
    return redirect(url_for("oncall.rota_page"))


def _changed(sess: Session, what: str, **detail: Any) -> None:
    """The audit entry of a change of the rota (the signed-in account is who made it); the caller commits."""
    audit(sess, f"oncall_{what}", **detail)


def _worker(worker: OncallWorker) -> dict[str, Any]:
    """A worker as the audit log keeps them: never their number in full."""
    return {
        "worker": worker.id,
        "name": worker.name,
        "role": worker.role,
        "phone": mask_phone(worker.phone),
        "escalation_rank": worker.escalation_rank,
    }


def _shift(shift: OncallShift) -> dict[str, Any]:
    return {
        "shift": shift.id,
        "worker": shift.worker_id,
        "days": shift.days,
        "starts": shift.starts,
        "ends": shift.ends,
    }


@bp.get("/")
def rota_page():
    sess = db_session()
    now = utcnow()
    alerts = sess.scalars(select(OncallAlert).order_by(OncallAlert.id.desc()).limit(RECENT_ALERTS)).all()
    return render_template(
        "oncall/rota.html",
        workers=sess.scalars(
            select(OncallWorker).options(selectinload(OncallWorker.shifts)).order_by(OncallWorker.name)
        ).all(),
        shifts=sess.scalars(
            select(OncallShift).options(selectinload(OncallShift.worker)).order_by(OncallShift.id)
        ).all(),
        on_call=rota.on_call(sess, now),
        gaps=coverage.gaps(sess, now, current_app.extensions["oncall_desk_hours"](sess)),
        escalation=rota.escalation_list(sess),
        alerts=[(a, status.state(a, now)) for a in alerts],
        shift_days=rota.SHIFT_DAYS,
        day_names=DAY_NAMES,
        describe=rota.describe,
        kind_name=oncall().kind_name,
    )


@bp.post("/workers")
def add_worker():
    form = request.form
    name, role = form.get("name", "").strip()[:40], form.get("role", "").strip()[:40]
    phone = "".join(form.get("phone", "").split())
    rank_text = form.get("escalation_rank", "").strip()
    if not name or not is_valid_phone(phone):
        flash("请填写姓名和 11 位手机号码（提醒短信和电话打到这个号码）。", "error")
        return _back()
    if rank_text and not (rank_text.isdigit() and 1 <= int(rank_text) <= 99):
        flash("升级顺序请填 1 到 99 的数字，不在升级名单上就留空。", "error")
        return _back()
    sess = db_session()
    worker = OncallWorker(name=name, phone=phone, role=role, escalation_rank=int(rank_text) if rank_text else None)
    sess.add(worker)
    sess.flush()
    _changed(sess, "add_worker", **_worker(worker))
    sess.commit()
    flash(f"已添加值班人员 {name}。", "info")
    return _back()


@bp.post("/workers/<int:worker_id>/delete")
def remove_worker(worker_id: int):
    sess = db_session()
    worker = sess.get(OncallWorker, worker_id)
    if worker is not None:
        name = worker.name
        _changed(sess, "remove_worker", **_worker(worker), shifts=[_shift(s) for s in worker.shifts])
        sess.delete(worker)  # their shifts with them; alerts keep their own copy of the name and number
        sess.commit()
        flash(f"已删除 {name} 和 TA 的班次。", "info")
    return _back()


@bp.post("/shifts")
def add_shift():
    form = request.form
    sess = db_session()
    worker = sess.get(OncallWorker, form.get("worker_id", type=int) or 0)
    days = [d for d in rota.SHIFT_DAYS if d in form.getlist("days")]
    starts, ends = form.get("starts", "").strip(), form.get("ends", "").strip()
    if worker is None or not days:
        flash("请选值班人员，并至少勾选一天。", "error")
        return _back()
    if not rota.valid_time(starts) or not rota.valid_time(ends, end=True):
        flash("时间请按 17:00 这样填写；结束时间早于或等于开始时间，表示值到第二天。", "error")
        return _back()
    shift = OncallShift(worker_id=worker.id, days=",".join(days), starts=starts, ends=ends)
    sess.add(shift)
    sess.flush()
    _changed(sess, "add_shift", **_shift(shift), name=worker.name)
    sess.commit()
    flash(f"已添加 {worker.name} 的班次：{rota.describe(shift)}。", "info")
    return _back()


@bp.post("/shifts/<int:shift_id>/delete")
def remove_shift(shift_id: int):
    sess = db_session()
    shift = sess.get(OncallShift, shift_id)
    if shift is not None:
        _changed(sess, "remove_shift", **_shift(shift), name=shift.worker.name)
        sess.delete(shift)
        sess.commit()
        flash("已删除这个班次。", "info")
    return _back()
