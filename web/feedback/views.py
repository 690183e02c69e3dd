"""`/admin/feedback`: 不满意 and 非常不满意 ratings a supervisor follows up."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFError, generate_csrf, validate_csrf
from sqlalchemy import select
from wtforms import ValidationError

from common.masking import mask_text
from web.analytics.access import supervisor_required
from web.feedback.models import Rating

bp = Blueprint("feedback", __name__, url_prefix="/admin/feedback", template_folder="templates")


@bp.get("/")
@supervisor_required
def follow_ups():
    with current_app.extensions["database"].sessions() as sess:
        ratings = sess.scalars(select(Rating).where(Rating.follow_up == "open").order_by(Rating.created_at)).all()
    return render_template("feedback/follow_ups.html", ratings=ratings, mask=mask_text, csrf_token=generate_csrf())


@bp.post("/<int:rating_id>/done")
@supervisor_required
def done(rating_id: int):
    try:
        validate_csrf(request.form.get("csrf_token"))
    except (ValidationError, CSRFError):
        abort(400)
    with current_app.extensions["database"].sessions.begin() as sess:
        rating = sess.get(Rating, rating_id)
        if rating is None or rating.follow_up != "open":
            abort(404)
        rating.follow_up, rating.follow_up_note = "done", (request.form.get("note") or "").strip()[:1000] or None
    return redirect(url_for("feedback.follow_ups"))
