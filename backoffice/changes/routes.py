"""``GET /changes``: the change feed, read by the platform with a cursor."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, jsonify

from backoffice import contract
from backoffice.changes import feed, schemas
from backoffice.marriage.calendar import SHANGHAI
from backoffice.params import query_number
from common.db import session

bp = Blueprint("changes", __name__)


@bp.get("/changes")
@contract.operation(
    "Changes to tell residents of (review steps, office cancellations, the day-before appointment reminders, "
    "waiting-list places that became bookings), "
    "after a cursor, oldest first; ids grow in commit order, so `after=<last id read>` never skips one",
    query=schemas.ChangesQuery,
    responses={200: ("the next changes", schemas.ChangesAnswer)},
    errors={400: "`bad_request`: after or limit not a number"},
)
def changes():
    after, limit = query_number("after", 0), query_number("limit", 100)
    sess = session()
    # The reminders are produced, and changes already read forgotten, here, on the reader's clock: the
    # back-office runs no scheduler, and the platform reads every ~20 s. once_key keeps each reminder to one
    # change whoever reads.
    now = datetime.now(SHANGHAI).replace(tzinfo=None)
    if feed.remind_tomorrow(sess, now) + feed.forget_read(sess, after, now):
        sess.commit()
    found = feed.after(sess, after, limit)
    return jsonify(changes=[feed.change_json(c) for c in found], last=found[-1].id if found else after)
