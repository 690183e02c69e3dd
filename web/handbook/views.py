"""`/admin/handbook`: the handbook list and edit pages (admin pages, ``web/admin``); the
entries live in the back-office, edited through its API."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from common.backoffice_client import BackofficeClient, BackofficeError, BackofficeUnavailable
from web import admin

bp = admin.blueprint("handbook_admin", __name__, url_prefix="/admin/handbook")

TEXT_FIELDS = ("title", "body", "conditions", "how_to_apply", "contact", "source", "next_step")
LIST_FIELDS = ("documents", "keywords")  # one item per line in the form


def _backoffice() -> BackofficeClient:
    return current_app.extensions["console"].backoffice


def _form_body() -> dict:
    body: dict = {field: request.form.get(field, "").strip() for field in TEXT_FIELDS}
    for field in LIST_FIELDS:
        body[field] = [line.strip() for line in request.form.get(field, "").splitlines() if line.strip()]
    body["effective_date"] = request.form.get("effective_date", "").strip()
    body["district"] = request.form.get("district", "").strip()
    return body


@bp.get("/")
def list_page():
    try:
        entries = _backoffice().get("/handbook/entries")["entries"]
    except BackofficeUnavailable:
        return render_template("handbook/list.html", entries=[], down=True), 503
    return render_template("handbook/list.html", entries=entries, down=False)


@bp.get("/<int:entry_id>")
def edit_page(entry_id: int):
    try:
        entry = _backoffice().get(f"/handbook/entries/{entry_id}")
    except BackofficeError:
        abort(404)
    except BackofficeUnavailable:
        return render_template("handbook/list.html", entries=[], down=True), 503
    return render_template("handbook/edit.html", entry=entry)


@bp.post("/<int:entry_id>")
def save(entry_id: int):
    body = _form_body()
    try:
        _backoffice().patch(f"/handbook/entries/{entry_id}", body, headers={"X-Editor": current_user.username})
    except BackofficeError as exc:
        flash(exc.message, "error")
        return render_template("handbook/edit.html", entry={"id": entry_id, **body}), 400
    except BackofficeUnavailable:
        flash("业务系统暂时连不上，这次修改没有保存，请稍后再试。", "error")
        return render_template("handbook/edit.html", entry={"id": entry_id, **body}), 503
    flash("已保存。智能助手下一次回答就会用新的内容。", "info")
    return redirect(url_for("handbook_admin.list_page"))
