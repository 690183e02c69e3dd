"""`/admin/review`: the NLU review inbox, similar messages grouped, labelled a group at a time (an admin page, ``web/admin``)."""

from __future__ import annotations

from datetime import date

from flask import Response, abort, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from common.db import session as db_session
from web import admin
from web.admin.audit import audit
from web.review import export, inbox, similarity
from web.review.models import ReviewItem

bp = admin.blueprint("review", __name__, url_prefix="/admin/review")
PAGE = 300  # open items grouped per page view


def open_items(sess: Session) -> int:
    return sess.scalar(select(func.count()).select_from(ReviewItem).where(ReviewItem.status == "open")) or 0


WAITING = admin.Waiting("review.inbox_page", open_items, "条待审核")  # on the landing page /admin/


@bp.get("/")
def inbox_page():
    sess = db_session()
    items = sess.scalars(
        select(ReviewItem).where(ReviewItem.status == "open").order_by(ReviewItem.id.desc()).limit(PAGE)
    ).all()
    labelled = sess.scalar(select(ReviewItem.id).where(ReviewItem.status == "labelled").limit(1)) is not None
    groups = [[items[i] for i in g] for g in similarity.group([item.text for item in items])]
    return render_template("review/inbox.html", groups=groups, intents=export.known_intents(), labelled=labelled)


@bp.post("/label")
def label():
    ids = [int(i) for i in request.form.getlist("item") if i.isdigit()]
    decision = request.form.get("decision")
    intent = (request.form.get("intent") or "").strip()
    if decision == "intent" and intent not in export.known_intents():
        abort(400)
    sess = db_session()
    for item in sess.scalars(select(ReviewItem).where(ReviewItem.id.in_(ids), ReviewItem.status == "open")):
        if decision == "out_of_scope":
            inbox.label(item, inbox.OUT_OF_SCOPE, current_user.username)
        elif decision == "dismiss":
            inbox.dismiss(item, current_user.username)
        elif decision == "intent":
            inbox.label(item, intent, current_user.username)
    sess.commit()
    return redirect(url_for("review.inbox_page"))


@bp.get("/export.yml")
def download():
    """The labelled examples as Rasa NLU YAML (a preview: `make nlu-review-export` writes and marks them)."""
    items = (
        db_session().scalars(select(ReviewItem).where(ReviewItem.status == "labelled").order_by(ReviewItem.id)).all()
    )
    examples, used = export.collect(items, export.existing_examples())
    audit(db_session(), "export_nlu_review", rows=len(used), via="download")
    db_session().commit()
    return Response(
        export.nlu_yaml(examples),
        mimetype="application/x-yaml",
        headers={"Content-Disposition": f"attachment; filename=review_{date.today():%Y%m%d}.yml"},
    )
