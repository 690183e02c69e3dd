"""`/admin/analytics`: the figures as server-rendered SVG charts, with date range and district filters and CSV export.

An admin page (``web/admin``: guard, navigation, Chinese labels for flows, intents and
handoff reasons; the CSV keeps the internal names), registered with the others by
``web.admin.init_app``; the events it counts are recorded by ``recording`` (its listener
installed in web/app.py).
"""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from urllib.parse import quote

from flask import Response, render_template, request

from common.db import session as db_session
from web import admin
from web.admin.audit import audit
from web.admin.labels import label
from web.analytics import charts, queries

bp = admin.blueprint("analytics", __name__, url_prefix="/admin")
DEFAULT_DAYS = 30


def _filters() -> queries.Filters:
    today = date.today()

    def day(name: str, default: date) -> date:
        try:
            return date.fromisoformat(request.args.get(name, ""))
        except ValueError:
            return default

    end = day("end", today)
    start = day("start", end - timedelta(days=DEFAULT_DAYS - 1))
    if start > end:
        start, end = end, start
    start = max(start, end - timedelta(days=366))  # one year at most per page
    return queries.Filters(start, end, (request.args.get("district") or "").strip() or None)


@bp.get("/analytics")
def page():
    f = _filters()
    sess = db_session()
    data = queries.summary(sess, f)
    districts = queries.districts(sess)
    flows = data["task_completion"]
    figures = {
        "per_day": charts.columns(data["conversations_per_day"], "每天的对话数"),
        "reasons": charts.bars([(label("reason", r), n) for r, n in data["handoff_reasons"]], "转人工原因"),
        "ratings": charts.bars(data["ratings"], "好差评分布"),
        "intents": charts.bars([(label("intent", i), n) for i, n, _ in data["top_intents"]], "最常见的意图"),
        "flows": charts.bars(
            [(label("flow", fl["flow"]), round(100 * (fl["completion_rate"] or 0))) for fl in flows],
            "办结率",
            suffix="%",
        ),
    }
    return render_template("analytics/page.html", f=f, data=data, figures=figures, districts=districts)


@bp.get("/analytics.csv")
def export_csv():
    f = _filters()
    data = queries.summary(db_session(), f)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["metric", "key", "value"])
    for day, n in data["conversations_per_day"]:
        writer.writerow(["conversations", day, n])
    for key, value in {**data["containment"], **data["fallback"]}.items():
        writer.writerow([key, "", "" if value is None else value])
    for reason, n in data["handoff_reasons"]:
        writer.writerow(["handoff_reason", reason, n])
    for flow in data["task_completion"]:
        for key in ("started", "completed", "abandoned", "unfinished", "completion_rate"):
            writer.writerow([f"flow_{key}", flow["flow"], "" if flow[key] is None else flow[key]])
        for step, n in flow["steps"]:
            writer.writerow(["flow_step_asked", f"{flow['flow']}:{step}", n])
    for level, n in data["ratings"]:
        writer.writerow(["rating", level, n])
    for intent, n, confidence in data["top_intents"]:
        writer.writerow(["intent", intent, n])
        writer.writerow(["intent_mean_confidence", intent, confidence])
    median = data["median_first_agent_reply_seconds"]
    writer.writerow(["median_first_agent_reply_seconds", "", "" if median is None else median])
    rows = out.getvalue().count("\n") - 1  # figures only, no resident; audited as every download is
    audit(
        db_session(),
        "export_analytics",
        start=f.start.isoformat(),
        end=f.end.isoformat(),
        district=f.district,
        rows=rows,
    )
    db_session().commit()
    name = f"analytics_{f.start:%Y%m%d}_{f.end:%Y%m%d}{'_' + f.district if f.district else ''}.csv"
    return Response(
        "\ufeff" + out.getvalue(),
        mimetype="text/csv",  # BOM: Excel opens UTF-8 Chinese correctly
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"},
    )
