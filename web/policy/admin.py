"""`/admin/campaigns`: write a rule, preview its audience, run a campaign, watch its funnel.

An admin page (``web/admin``): the blueprint's guard lets in supervisors and
administrators signed in to the console and checks the CSRF token of every POST.
Creating a campaign, every change of its state and every download are in the audit log
(``web/admin/audit.py``): who, which campaign and rule, how many rows.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from typing import Any

from flask import Response, abort, current_app, redirect, render_template, request, stream_with_context, url_for
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from common.db import session as db_session
from web import admin
from web.admin import expired
from web.admin.audit import AuditEntry, audit
from web.admin.guard import FormExpired
from web.analytics import charts
from web.policy import audience, campaigns, funnel, rules
from web.policy.delivery import field_problems
from web.policy.models import PolicyCampaign
from web.subscriptions import templates

bp = admin.blueprint("policy_admin", __name__, url_prefix="/admin/campaigns")

PAYLOAD = re.compile(r"^/[a-z_]+(\{.*\})?$")
FORM_DEFAULTS = {
    "name": "",
    "benefit": "",
    "rule": '{"all": [\n  {"age": {"gte": 80}},\n  {"benefit": {"not_held": "高龄津贴"}}\n]}',
    "template_id": templates.get("policy").template_id,
    "template_fields": '{"thing1": "{benefit}", "thing2": "{name}您好，您可能符合申请条件", "thing3": "回复“申请”即可办理"}',
    "window_text": "",
    "apply_keyword": "申请",
    "apply_payload": "",
    "starts_at": "",
    "quiet_start": "21:00",
    "quiet_end": "08:00",
    "cap_per_week": "2",
    "rate_per_second": "20",
}
STATE_LABELS = {"draft": "草稿", "running": "发送中", "paused": "已暂停", "completed": "已完成", "cancelled": "已取消"}
REASON_LABELS = {"reachable": "可触达", **audience.REASONS}


def running(sess: Session) -> int:
    return sess.scalar(select(func.count()).select_from(PolicyCampaign).where(PolicyCampaign.state == "running")) or 0


WAITING = admin.Waiting("policy_admin.index", running, "个活动正在发送")  # on the landing page /admin/


def _deps() -> Any:
    return current_app.extensions["policy"]


def _render(name: str, **ctx: Any) -> str:
    return render_template(
        f"policy/{name}", states=STATE_LABELS, reasons=REASON_LABELS, benefits=rules.vocabulary()["benefits"], **ctx
    )


@bp.errorhandler(FormExpired)
def _expired(exc: FormExpired):
    """The campaign form comes back as it was typed (a rule can be long), to be saved again."""
    if request.endpoint != "policy_admin.new" or expired.wants_data():
        return expired.answer(exc)
    form = {k: request.form.get(k, "") for k in FORM_DEFAULTS}
    return _render("edit.html", form=form, errors=[expired.STAFF], preview=None), 400


@bp.get("/")
def index():
    items = db_session().scalars(select(PolicyCampaign).order_by(PolicyCampaign.id.desc()).limit(200)).all()
    return _render("index.html", campaigns=items)


def _parse_form(form: dict[str, str]) -> tuple[dict[str, Any], list[str]]:
    """The form's fields as campaign values, and what is wrong with them (Chinese / English)."""
    errors: list[str] = []
    values: dict[str, Any] = {
        "name": form["name"].strip()[:80],
        "benefit": form["benefit"].strip(),
        "template_id": form["template_id"].strip()[:64],
        "window_text": form["window_text"].strip(),
        "apply_keyword": form["apply_keyword"].strip()[:12] or "申请",
        "apply_payload": form["apply_payload"].strip()[:200],
    }
    if not values["name"]:
        errors.append("请填写活动名称 / name is required")
    if values["benefit"] not in rules.vocabulary()["benefits"]:
        errors.append("请选择要告知的待遇 / choose the benefit this campaign offers")
    try:
        values["rule"] = yaml_or_json(form["rule"])
        rules.parse(values["rule"])
    except rules.RuleInvalid as exc:
        errors += [f"规则 {e}" for e in exc.errors]
    try:
        fields = json.loads(form["template_fields"] or "{}")
        if not isinstance(fields, dict) or not all(isinstance(v, str) for v in fields.values()):
            raise ValueError
        values["template_fields"] = fields
        draft = PolicyCampaign(template_id=values["template_id"], template_fields=fields, benefit=values["benefit"])
        errors += [f"订阅通知 {problem}" for problem in field_problems(draft)]
    except ValueError:
        errors.append('通知字段要写成 JSON 对象，例如 {"thing1": "…"} / notice fields must be a JSON object of strings')
    if values["apply_payload"]:
        m = PAYLOAD.match(values["apply_payload"])
        try:
            if not m or (m.group(1) and not isinstance(json.loads(m.group(1)), dict)):
                raise ValueError
        except ValueError:
            errors.append(
                '回复后开始的对话要写成 /意图名{"槽位": "值"}，例如 /assistance_apply{"assistance_type": "临时救助"} '
                '/ the reply payload must look like /intent{"slot": "value"}'
            )
    try:
        values["starts_at"] = datetime.fromisoformat(form["starts_at"]) if form["starts_at"].strip() else None
        for key in ("quiet_start", "quiet_end"):
            values[key] = form[key].strip()
            if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", values[key]):
                raise ValueError
    except ValueError:
        errors.append("时间格式不对（开始时间 YYYY-MM-DDTHH:MM，免打扰 HH:MM）/ bad time format")
    try:
        values["cap_per_week"] = int(form["cap_per_week"])
        values["rate_per_second"] = float(form["rate_per_second"])
        if not (1 <= values["cap_per_week"] <= 14 and 0.1 <= values["rate_per_second"] <= 1000):
            raise ValueError
    except ValueError:
        errors.append(
            "每周上限要在 1–14 之间，发送速度在 0.1–1000 条/秒之间 / cap 1–14 per week, rate 0.1–1000 per second"
        )
    return values, errors


def yaml_or_json(text: str) -> Any:
    return rules.decode(text)  # bounded, without YAML aliases: web/policy/rules.py


def _preview(rule_data: Any, benefit: str | None, template_id: str | None = None) -> dict[str, Any]:
    deps = _deps()
    with deps.registry.connect() as conn:
        aud = audience.Audience(
            rules.parse(rule_data), benefit or None, audience.context(conn, date.today(), deps.standards(conn))
        )
        return {
            "counts": audience.counts(conn, db_session(), aud, template_id),
            "sample": audience.sample(conn, aud),
        }


@bp.route("/new", methods=["GET", "POST"])
def new():
    if request.method == "GET":
        return _render("edit.html", form=FORM_DEFAULTS, errors=[], preview=None)
    form = {k: request.form.get(k, "") for k in FORM_DEFAULTS}
    values, errors = _parse_form(form)
    preview = None
    if not any(e.startswith("规则") for e in errors):
        try:
            preview = _preview(
                values["rule"],
                values["benefit"] if values["benefit"] in rules.vocabulary()["benefits"] else None,
                values["template_id"],
            )
        except rules.RuleInvalid as exc:  # e.g. a district name the registry does not know
            errors += [f"规则 {e}" for e in exc.errors]
    if errors or request.form.get("action") != "save":
        return _render("edit.html", form=form, errors=errors, preview=preview), 400 if errors else 200
    sess = db_session()
    c = PolicyCampaign(**values, created_by=current_user.username[:40], counts=preview["counts"] if preview else {})
    sess.add(c)
    sess.flush()
    audit(sess, "create_campaign", campaign=c.id, benefit=c.benefit, rule=c.rule, counts=c.counts)
    sess.commit()
    return redirect(url_for("policy_admin.detail", campaign_id=c.id))


@bp.get("/<int:campaign_id>")
def detail(campaign_id: int, refused: str = ""):
    """The campaign's page; ``refused``: why an action was refused (shown at the top, in Chinese)."""
    sess = db_session()
    c = sess.get(PolicyCampaign, campaign_id) or abort(404)
    if c.started_at is not None:
        try:
            funnel.refresh_applied(sess, _deps().registry, c)
        except Exception:  # the funnel's last step is best effort; the page must still open
            sess.rollback()
            current_app.logger.exception("applied figures could not be refreshed")
    stages = funnel.funnel(sess, c)
    statuses = campaigns.status_counts(sess, campaign_id)
    chart = charts.bars([(label, n) for _key, label, n in stages], "推送漏斗")
    return _render(
        "detail.html",
        c=c,
        stages=stages,
        chart=chart,
        statuses=statuses,
        refused=refused,
        waiting_for_quota=campaigns.waiting_for_quota(sess, campaign_id),
        rule_text=rules.dumps(c.rule),
        fields_text=rules.dumps(c.template_fields),
    )


@bp.post("/<int:campaign_id>/<any(start, pause, resume, cancel):action>")
def act(campaign_id: int, action: str):
    sess = db_session()
    try:
        c = campaigns.transition(sess, campaign_id, action)
    except campaigns.TransitionRefused as exc:  # the page says why: a wrong state, or the notice's text
        sess.rollback()
        return detail(campaign_id, refused=exc.message), 409
    audit(sess, f"{action}_campaign", campaign=campaign_id, benefit=c.benefit, rule=c.rule, counts=c.counts)
    sess.commit()
    if action == "start":
        _deps().enqueue("policy.prepare", [campaign_id])
    elif action == "resume":
        _deps().enqueue("policy.wake", [campaign_id])
    return redirect(url_for("policy_admin.detail", campaign_id=campaign_id))


@bp.get("/<int:campaign_id>/funnel.csv")
def funnel_export(campaign_id: int):
    sess = db_session()
    c = sess.get(PolicyCampaign, campaign_id) or abort(404)
    stages = funnel.funnel(sess, c)
    audit(sess, "export_funnel", campaign=campaign_id, rows=len(stages))
    sess.commit()
    body = funnel.funnel_csv(stages)
    return Response(
        body,
        mimetype="text/csv; charset=utf-8",
        headers={"Content-Disposition": f"attachment; filename=campaign-{campaign_id}-funnel.csv"},
    )


@bp.get("/<int:campaign_id>/advisors.csv")
def advisors_export(campaign_id: int):
    """Matched residents a push cannot reach, for the community assistance advisors (streamed, in the request's context).

    Names and home addresses: audited before the first row (who, which campaign and rule), and the
    entry completed with the number of residents once the last row is out (``complete`` stays false
    when the download broke off)."""
    deps = _deps()
    sess = db_session()
    c = sess.get(PolicyCampaign, campaign_id) or abort(404)
    rule_data, benefit, template_id = c.rule, c.benefit, c.template_id
    detail = {"campaign": campaign_id, "benefit": benefit, "rule": rule_data}
    entry = audit(sess, "export_advisors", **detail, rows=None, complete=False)
    sess.commit()
    entry_id, sessions = entry.id, current_app.extensions["database"].sessions

    def rows():
        residents, complete = 0, False
        try:
            with deps.registry.connect() as conn:
                aud = audience.Audience(
                    rules.parse(rule_data), benefit or None, audience.context(conn, date.today(), deps.standards(conn))
                )
                for chunk, n in audience.advisor_csv(conn, db_session(), aud, template_id):
                    residents += n
                    yield chunk
            complete = True
        finally:  # in a session of its own: the request's may be closed or broken by now
            with sessions.begin() as done:
                done.get(AuditEntry, entry_id).detail = {**detail, "rows": residents, "complete": complete}

    return Response(
        stream_with_context(rows()),
        mimetype="text/csv; charset=utf-8",
        headers={"Content-Disposition": f"attachment; filename=campaign-{campaign_id}-advisors.csv"},
    )
