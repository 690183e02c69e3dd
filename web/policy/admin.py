"""`/admin/campaigns`: write a rule, preview its audience, run a campaign, watch its funnel.

An admin page (``web/admin``): the blueprint's guard lets in supervisors and
administrators signed in to the console and checks the CSRF token of every POST.
Creating a campaign, every change of its state and every download are in the audit log
(``web/admin/audit.py``): who, which campaign and rule, how many rows.
"""

from __future__ import annotations

import json
import re
import time
from datetime import date, datetime
from typing import Any

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from common.db import session as db_session
from web import admin
from web.admin import expired
from web.admin.audit import AuditEntry, audit
from web.admin.guard import FormExpired
from web.analytics import charts
from web.policy import audience, campaigns, describe, funnel, message, registry, rules, schedule, tester
from web.policy.delivery import field_problems
from web.policy.models import PolicyCampaign
from web.subscriptions import templates

bp = admin.blueprint("policy_admin", __name__, url_prefix="/admin/campaigns")

PAYLOAD = re.compile(r"^/[a-z_]+(\{.*\})?$")
FORM_DEFAULTS = {
    "name": "",
    "benefit": "",
    "rule": "",
    "template_id": templates.get("policy").template_id,
    "template_fields": '{"thing1": "{benefit}", "thing2": "{name}您好，您可能符合申请条件", "thing3": "回复“申请”即可办理"}',
    "window_text": "",
    "apply_keyword": "申请",
    "apply_flow": "",
    "apply_payload": "",
    "starts_at": "",
    "quiet_start": "21:00",
    "quiet_end": "08:00",
    "cap_per_week": "2",
    "rate_per_second": "20",
    "repeat_monthly": "",
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


def _builder_data(rule_text: str) -> dict[str, Any]:
    """What the rule builder offers (web/static/policy/builder.js): each benefit's eligibility as the
    back-office defines it, the region's districts and communities by name, the vocabulary, and
    whether this account may edit the rule's text (administrators)."""
    try:
        with _deps().registry.connect() as conn:
            region = registry.load_region(conn)
    except SQLAlchemyError:  # the page still opens; the count says the registry cannot be read
        current_app.logger.exception("the registry's region could not be read")
        region = registry.Region({}, {})
    vocab = rules.vocabulary()
    return {
        "eligibility": {b: {"summary": e.summary, "rule": e.rule} for b, e in _deps().eligibility.all().items()},
        "districts": [{"code": c, "name": n} for c, n in sorted(region.district_names.items())],
        "communities": [
            {"code": c, "name": n, "district": region.district_names.get(d, "")}
            for c, (n, d) in sorted(region.communities.items())
        ],
        "benefits": vocab["benefits"],
        "events": vocab["event_kinds"],
        "standards": vocab["standards"],
        "raw": current_user.role == "admin",
        "rule": _rule_or_none(rule_text),
        "templates": {
            t.template_id: {"title": t.title, "fields": t.fields} for t in message.templates.all_templates().values()
        },
        "campaign_template": message.templates.get(message.CAMPAIGN_TEMPLATE).template_id,
        "flows": [{"key": f.key, "label": f.label, "benefits": f.benefits} for f in message.flows().values()],
    }


def _rule_or_none(text: str) -> Any:
    try:
        data = rules.decode(text)
        rules.parse(data)
    except rules.RuleInvalid:
        return None
    return data


def _edit_page(form: dict[str, str], errors: list[str], preview: Any, c: PolicyCampaign | None = None) -> str:
    if not form.get("apply_flow") and form.get("apply_payload"):  # a saved payload shown as its words
        flow = message.flow_for_payload(form["apply_payload"])
        form = {**form, "apply_flow": flow.key if flow else ""}
    return _render("edit.html", form=form, errors=errors, preview=preview, builder=_builder_data(form["rule"]), c=c)


@bp.errorhandler(FormExpired)
def _expired(exc: FormExpired):
    """The campaign form comes back as it was typed (a rule can be long), to be saved again."""
    if request.endpoint != "policy_admin.new" or expired.wants_data():
        return expired.answer(exc)
    form = {k: request.form.get(k, "") for k in FORM_DEFAULTS}
    return _edit_page(form, [expired.STAFF], None), 400


@bp.get("/")
def index():
    items = db_session().scalars(select(PolicyCampaign).order_by(PolicyCampaign.id.desc()).limit(200)).all()
    return _render("index.html", campaigns=items)


def _parse_form(form: dict[str, str]) -> tuple[dict[str, Any], list[str]]:
    """The form's fields as campaign values, and what is wrong with them (Chinese / English)."""
    errors: list[str] = []
    values: dict[str, Any] = {
        "repeat_monthly": form["repeat_monthly"] == "1",
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
    if form["apply_flow"]:
        flow = message.flows().get(form["apply_flow"])
        if flow is None:
            errors.append("请从列表里选择居民回复后开始办理的事 / choose the conversation a reply starts from the list")
        else:
            values["apply_payload"] = flow.payload
    elif values["apply_payload"]:
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


def _preview(
    rule_data: Any, benefit: str | None, template_id: str | None = None, campaign_id: int | None = None
) -> dict[str, Any]:
    deps = _deps()
    with deps.registry.connect() as conn:
        aud = audience.Audience(
            rules.parse(rule_data),
            benefit or None,
            audience.context(conn, date.today(), deps.standards(conn)),
            campaign_id,
        )
        return {
            "counts": audience.counts(conn, db_session(), aud, template_id),
            "sample": audience.sample(conn, aud),
        }


@bp.route("/new", methods=["GET", "POST"])
def new():
    if request.method == "GET":
        return _edit_page(FORM_DEFAULTS, [], None)
    return _save(None)


EDITABLE = ("draft", "paused")
LOCKED_WHEN_PAUSED = ("benefit", "rule")  # its residents were chosen when it started


def _form_of(c: PolicyCampaign) -> dict[str, str]:
    return {
        **{k: str(getattr(c, k) or "") for k in FORM_DEFAULTS if hasattr(c, k)},
        "rule": rules.dumps(c.rule),
        "template_fields": json.dumps(c.template_fields or {}, ensure_ascii=False),
        "starts_at": c.starts_at.strftime("%Y-%m-%dT%H:%M") if c.starts_at else "",
        "cap_per_week": str(c.cap_per_week),
        "repeat_monthly": "1" if c.repeat_monthly else "",
        "rate_per_second": f"{c.rate_per_second:g}",
        "apply_flow": "",
    }


@bp.route("/<int:campaign_id>/edit", methods=["GET", "POST"])
def edit(campaign_id: int):
    """A draft or paused campaign, changed. A paused one keeps its residents (benefit and rule); an
    edited campaign needs another account to start or resume it (two-person approval)."""
    c = db_session().get(PolicyCampaign, campaign_id) or abort(404)
    if c.state not in EDITABLE:
        return detail(campaign_id, refused="只有草稿和已暂停的活动可以修改。"), 409
    if request.method == "GET":
        return _edit_page(_form_of(c), [], None, c)
    return _save(c)


def _save(c: PolicyCampaign | None):
    form = {k: request.form.get(k, "") for k in FORM_DEFAULTS}
    if c is not None and c.state == "paused":  # what cannot change is what it was
        form.update({k: v for k, v in _form_of(c).items() if k in LOCKED_WHEN_PAUSED})
    if c is not None and "apply_payload" not in request.form and message.flow_for_payload(c.apply_payload) is None:
        form["apply_payload"] = c.apply_payload  # an administrator's payload, which a supervisor's form cannot show
    values, errors = _parse_form(form)
    preview = None
    if not any(e.startswith("规则") for e in errors):
        try:
            preview = _preview(
                values["rule"],
                values["benefit"] if values["benefit"] in rules.vocabulary()["benefits"] else None,
                values["template_id"],
                c.id if c is not None else None,
            )
        except rules.RuleInvalid as exc:  # e.g. a district name the registry does not know
            errors += [f"规则 {e}" for e in exc.errors]
    if errors or request.form.get("action") != "save":
        return _edit_page(form, errors, preview, c), 400 if errors else 200
    sess = db_session()
    who = current_user.username[:40]
    if c is None:
        c = PolicyCampaign(**values, created_by=who, editors=[who], counts=preview["counts"] if preview else {})
        sess.add(c)
        sess.flush()
        audit(sess, "create_campaign", campaign=c.id, benefit=c.benefit, rule=c.rule, counts=c.counts)
    else:
        c = sess.get(PolicyCampaign, c.id, with_for_update=True)
        if c.state not in EDITABLE:  # started or cancelled meanwhile
            sess.rollback()
            return detail(c.id, refused="这个活动刚刚被别人开始或取消了，不能再修改。"), 409
        changed = sorted(k for k, v in values.items() if getattr(c, k) != v)
        for k in changed:
            setattr(c, k, values[k])
        if c.state == "draft" and preview:
            c.counts = preview["counts"]
        c.updated_by, c.updated_at, c.needs_approval = who, schedule.now_local(), True
        c.editors = campaigns.prepared_or_changed(c)  # with this account: it may no longer start it
        audit(
            sess,
            "edit_campaign",
            campaign=c.id,
            benefit=c.benefit,
            rule=c.rule,
            changed=changed,
            state=c.state,
            editors=c.editors,
        )
    sess.commit()
    return redirect(url_for("policy_admin.detail", campaign_id=c.id))


@bp.post("/audience")
def audience_count():
    """How many residents a rule reaches, and why the others are not: the builder asks on every change.

    JSON in (``rule`` as text, JSON or YAML, validated as every rule; ``benefit``; ``template_id``;
    ``campaign_id`` when a saved campaign is edited), JSON out: ``counts`` (as a send would count them:
    :func:`audience.quick_counts`) and ``rule`` (the text as data, for the builder), or ``errors`` (400)."""
    body = request.get_json(silent=True)
    body = body if isinstance(body, dict) else {}
    benefit = str(body.get("benefit") or "")
    template_id = str(body.get("template_id") or "")[:64]
    campaign_id = body.get("campaign_id") if type(body.get("campaign_id")) is int else None
    try:
        data = rules.decode(str(body.get("rule") or ""))
        rules.parse(data)
        started = time.perf_counter()
        deps = _deps()
        with deps.registry.connect() as conn:
            aud = audience.Audience(
                rules.parse(data),
                benefit if benefit in rules.vocabulary()["benefits"] else None,
                audience.context(conn, date.today(), deps.standards(conn)),
                campaign_id,
            )
            found = audience.quick_counts(conn, db_session(), aud, template_id)
    except rules.RuleInvalid as exc:
        return {"errors": [f"规则 {e.path}：{e.zh}" for e in exc.errors]}, 400
    except SQLAlchemyError:
        current_app.logger.exception("the audience could not be counted")
        return {"errors": ["暂时读不到居民信息库，人数算不出来，请稍后再试。"]}, 503
    return {"counts": found, "rule": data, "took_ms": round((time.perf_counter() - started) * 1000)}


@bp.post("/notice")
def notice_preview():
    """The notice as the resident will see it, field by field, with what breaks WeChat's rules (JSON in:
    ``template_id``, ``fields`` {key: text}, ``benefit``): the page asks while the staff member types."""
    body = request.get_json(silent=True)
    body = body if isinstance(body, dict) else {}
    fields = body.get("fields") if isinstance(body.get("fields"), dict) else {}
    fields = {str(k)[:32]: str(v)[:200] for k, v in list(fields.items())[:20]}
    return message.preview(str(body.get("template_id") or "")[:64], fields, str(body.get("benefit") or "")[:20])


@bp.post("/<int:campaign_id>/tester-code")
def tester_code(campaign_id: int):
    """A one-time code that binds the staff member's own WeChat for test sends (web/policy/tester.py)."""
    sess = db_session()
    code = tester.new_code(sess, current_user.username[:40])
    sess.commit()
    return detail(campaign_id, tester_code=code)


@bp.post("/<int:campaign_id>/test-send")
def test_send(campaign_id: int):
    """The campaign's notice to the staff member's own bound WeChat, before anyone else receives it."""
    sess = db_session()
    c = sess.get(PolicyCampaign, campaign_id) or abort(404)
    openid = tester.bound(sess, current_user.username[:40])
    if openid is None:
        return detail(campaign_id, refused="请先绑定您自己的微信，再发测试通知。"), 409
    problems = field_problems(c)
    if problems:
        return detail(campaign_id, refused="通知的内容不符合微信的规定，发不出去：" + "；".join(problems)), 409
    audit(sess, "test_send_campaign", campaign=campaign_id, benefit=c.benefit, to=current_user.username[:40])
    sess.commit()
    _deps().enqueue("policy.test_send", [campaign_id, openid, current_user.display_name[:10]])
    flash("测试通知已经发到您绑定的微信，请在微信里看一看。没有收到的话，请先在公众号“订阅办事提醒”里订阅。", "info")
    return redirect(url_for("policy_admin.detail", campaign_id=campaign_id))


@bp.get("/<int:campaign_id>")
def detail(campaign_id: int, refused: str = "", tester_code: str = ""):
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
        waiting_for_cap=campaigns.waiting_for_quota(sess, campaign_id, "frequency_cap"),
        rule_text=rules.dumps(c.rule),
        rule_lines=_rule_lines(c.rule),
        notice=message.preview(c.template_id, c.template_fields or {}, c.benefit),
        flow=message.flow_for_payload(c.apply_payload),
        may_edit_text=current_user.role == "admin",
        editors=campaigns.prepared_or_changed(c),
        tester_code=tester_code,
        tester_bound=tester.bound(sess, current_user.username[:40]) is not None,
        code_words=tester.CODE_WORDS,
    )


def _rule_lines(rule_data: Any) -> list[str]:
    try:
        with _deps().registry.connect() as conn:
            names = registry.load_region(conn).district_names
    except SQLAlchemyError:
        names = {}
    return describe.lines(rules.parse(rule_data), names)


@bp.post("/<int:campaign_id>/<any(start, pause, resume, cancel):action>")
def act(campaign_id: int, action: str):
    sess = db_session()
    try:
        c = campaigns.transition(sess, campaign_id, action, current_user.username[:40])
    except campaigns.TransitionRefused as exc:  # the page says why: a wrong state, or the notice's text
        sess.rollback()
        return detail(campaign_id, refused=exc.message), 409
    audit(
        sess,
        f"{action}_campaign",
        campaign=campaign_id,
        benefit=c.benefit,
        rule=c.rule,
        counts=c.counts,
        prepared_by=c.created_by,
        editors=campaigns.prepared_or_changed(c),  # none of whom may start it, or resume it after a change
    )
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
