"""`/admin/feedback`: 不满意 and 非常不满意 ratings a supervisor follows up (an admin page, ``web/admin``)."""

from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from common.db import session as db_session
from common.masking import mask_text
from web import admin
from web.feedback.models import Rating

bp = admin.blueprint("feedback", __name__, url_prefix="/admin/feedback")


def open_follow_ups(sess: Session) -> int:
    return sess.scalar(select(func.count()).select_from(Rating).where(Rating.follow_up == "open")) or 0


WAITING = admin.Waiting("feedback.follow_ups", open_follow_ups, "条待回访")  # on the landing page /admin/


@bp.get("/")
def follow_ups():
    ratings = db_session().scalars(select(Rating).where(Rating.follow_up == "open").order_by(Rating.created_at)).all()
    return render_template("feedback/follow_ups.html", ratings=ratings, mask=mask_text)


@bp.post("/<int:rating_id>/done")
def done(rating_id: int):
    sess = db_session()
    rating = sess.get(Rating, rating_id)
    if rating is None or rating.follow_up != "open":
        abort(404)
    rating.follow_up, rating.follow_up_note = "done", (request.form.get("note") or "").strip()[:1000] or None
    sess.commit()
    return redirect(url_for("feedback.follow_ups"))
