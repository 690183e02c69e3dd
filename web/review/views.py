"""`/admin/review`: the NLU review inbox, similar messages grouped, labelled a group at a time."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, abort, current_app, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFError, generate_csrf, validate_csrf
from sqlalchemy import select
from wtforms import ValidationError

from web.analytics.access import reviewer_name, supervisor_required
from web.review import export, inbox, similarity
from web.review.models import ReviewItem

bp = Blueprint("review", __name__, url_prefix="/admin/review", template_folder="templates")
PAGE = 300  # open items grouped per page view


@bp.get("/")
@supervisor_required
def inbox_page():
    with current_app.extensions["database"].sessions() as sess:
        items = sess.scalars(select(ReviewItem).where(ReviewItem.status == "open").order_by(ReviewItem.id.desc()).limit(PAGE)).all()
        labelled = sess.scalar(select(ReviewItem.id).where(ReviewItem.status == "labelled").limit(1)) is not None
    groups = [[items[i] for i in g] for g in similarity.group([item.text for item in items])]
    return render_template("review/inbox.html", groups=groups, intents=export.known_intents(), labelled=labelled,
                           csrf_token=generate_csrf())


@bp.post("/label")
@supervisor_required
def label():
    try:
        validate_csrf(request.form.get("csrf_token"))
    except (ValidationError, CSRFError):
        abort(400)
    ids = [int(i) for i in request.form.getlist("item") if i.isdigit()]
    decision = request.form.get("decision")
    intent = (request.form.get("intent") or "").strip()
    if decision == "intent" and intent not in export.known_intents():
        abort(400)
    with current_app.extensions["database"].sessions.begin() as sess:
        for item in sess.scalars(select(ReviewItem).where(ReviewItem.id.in_(ids), ReviewItem.status == "open")):
            if decision == "out_of_scope":
                inbox.label(item, inbox.OUT_OF_SCOPE, reviewer_name())
            elif decision == "dismiss":
                inbox.dismiss(item, reviewer_name())
            elif decision == "intent":
                inbox.label(item, intent, reviewer_name())
    return redirect(url_for("review.inbox_page"))


@bp.get("/export.yml")
@supervisor_required
def download():
    """The labelled examples as Rasa NLU YAML (a preview: `make nlu-review-export` writes and marks them)."""
    with current_app.extensions["database"].sessions() as sess:
        items = sess.scalars(select(ReviewItem).where(ReviewItem.status == "labelled").order_by(ReviewItem.id)).all()
        examples, _ = export.collect(items, export.existing_examples())
    return Response(export.nlu_yaml(examples), mimetype="application/x-yaml",
                    headers={"Content-Disposition": f"attachment; filename=review_{date.today():%Y%m%d}.yml"})
