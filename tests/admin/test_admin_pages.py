"""The admin pages over HTTP: one landing page, one navigation, one guard (sign-in, role,
CSRF), Chinese names for flows, intents and handoff reasons."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from common import danger as dangers
from tests.admin.conftest import CSRF, PASSWORD, csrf_token
from tests.analytics.conftest import D1, D3, at
from web.admin import labels
from web.admin.views import SECTIONS
from web.analytics.recording import record
from web.conversations.models import Conversation
from web.feedback.models import Rating

pytestmark = pytest.mark.usefixtures("redis_client")
ROOT = Path(__file__).resolve().parents[2]
NAV = '<nav aria-label="管理后台">'


def admin_rules(app, method: str) -> list[str]:
    """Every admin URL that answers ``method``, with 1 for its numbers and ``start`` for a campaign action."""
    paths = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/admin") and method in rule.methods and not rule.rule.startswith("/admin/static"):
            paths.append(re.sub(r"<any\([^)]*\):\w+>", "start", re.sub(r"<int:\w+>", "1", rule.rule)))
    return sorted(paths)


def test_the_landing_page_answers_staff_and_sends_everyone_else_to_sign_in(app, signed_in):
    anonymous = app.test_client().get("/admin/")
    assert anonymous.status_code == 302 and anonymous.headers["Location"].startswith("/console/login?next=/admin/")
    boss, _ = signed_in("boss")
    page = boss.get("/admin/")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "管理后台" in text and "李主管" in text
    for title in ("数据分析", "政策找人", "政策工具书", "语料审核", "差评回访", "快捷回复"):
        assert title in text
    assert "转人工规则与工作时间" not in text  # an administrator's page
    assert "转人工规则与工作时间" in signed_in("root")[0].get("/admin/").get_data(as_text=True)
    assert app.test_client().get("/admin").status_code in (301, 308)  # /admin → /admin/


def test_the_landing_page_counts_what_is_waiting(app, sessions, signed_in):
    with sessions.begin() as sess:
        conv = sess.query(Conversation).first()
        sess.add_all(
            [Rating(conversation_id=conv.id, task="marriage_booking", level=1, follow_up="open") for _ in range(2)]
        )
    text = signed_in("boss")[0].get("/admin/").get_data(as_text=True)
    assert "2 条待回访" in text


def test_signing_in_returns_to_the_admin_page_asked_for(app):
    client = app.test_client()
    asked = client.get("/admin/analytics?district=普陀区")
    assert asked.status_code == 302
    login_page = client.get(asked.headers["Location"]).get_data(as_text=True)
    next_field = re.search(r'name="next" value="([^"]*)"', login_page).group(1)
    assert next_field.startswith("/admin/analytics")
    resp = client.post(
        "/console/login",
        data={
            "username": "boss",
            "password": PASSWORD,
            "next": next_field,
            "csrf_token": CSRF.search(login_page).group(1),
        },
    )
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/admin/analytics")
    assert (
        client.post(
            "/console/login",
            data={
                "username": "boss",
                "password": PASSWORD,
                "next": "//evil.example/admin/",
                "csrf_token": csrf_token(client),
            },
        ).headers["Location"]
        == "/console/"
    )


def test_no_admin_page_answers_without_signing_in(app):
    client = app.test_client()
    gets, posts = admin_rules(app, "GET"), admin_rules(app, "POST")
    assert len(gets) >= 12 and len(posts) >= 5
    for method, paths in (("GET", gets), ("POST", posts)):
        for path in paths:
            resp = client.open(path, method=method, headers={"Accept": "text/html"})
            assert resp.status_code in (302, 401), (method, path, resp.status_code)
            if resp.status_code == 302:
                assert resp.headers["Location"].startswith("/console/login")


def test_the_guard_refuses_an_agent_with_403(app, signed_in):
    agent, token = signed_in("agent")
    for path in admin_rules(app, "GET"):
        assert agent.get(path).status_code == 403, path
    for path in admin_rules(app, "POST"):
        assert agent.post(path, data={"csrf_token": token}).status_code == 403, path
    refused = agent.get("/admin/analytics").get_data(as_text=True)
    assert "只有主管和管理员可以打开这个页面" in refused
    boss, token = signed_in("boss")
    assert boss.get("/console/admin").status_code == 403  # rules and hours: administrators only
    assert (
        boss.post("/console/admin/rules", data={"csrf_token": token, "name": "x", "keywords": "y"}).status_code == 403
    )


def test_the_guard_refuses_a_post_without_a_valid_csrf_token_with_400(app, signed_in, sessions):
    boss, token = signed_in("boss")
    for path in admin_rules(app, "POST"):
        for data in ({}, {"csrf_token": "forged"}):
            resp = boss.post(path, data=data)
            assert resp.status_code == 400, (path, data, resp.status_code)
            assert "页面已过期" in resp.get_data(as_text=True)
    with sessions.begin() as sess:
        conv = sess.query(Conversation).first()
        rating = Rating(conversation_id=conv.id, task="marriage_booking", level=1, follow_up="open")
        sess.add(rating)
    done = boss.post(f"/admin/feedback/{rating.id}/done", data={"csrf_token": token, "note": "已电话回访"})
    assert done.status_code == 302
    with sessions() as sess:
        assert sess.get(Rating, rating.id).follow_up == "done"


def test_every_admin_page_shows_the_one_navigation(app, signed_in):
    root, token = signed_in("root")
    created = root.post(
        "/admin/campaigns/new", data={**{k: v for k, v in _campaign().items()}, "csrf_token": token, "action": "save"}
    )
    assert created.status_code == 302, created.get_data(as_text=True)[:2000]
    campaign = created.headers["Location"]
    pages = [p for p in admin_rules(app, "GET") if not p.endswith((".csv", ".yml")) and "/campaigns/1" not in p]
    pages += [campaign, "/console/canned", "/console/admin"]
    links = [f'href="/admin/{s}' for s in ("analytics", "campaigns/", "handbook/", "review/", "feedback/")]
    for path in pages:
        resp = root.get(path)
        text = resp.get_data(as_text=True)
        assert resp.status_code == 200, (path, resp.status_code)
        assert text.count(NAV) == 1 and all(link in text for link in links), path
        assert 'href="/console/canned"' in text and 'href="/console/admin"' in text, path
        assert "aria-current" in text or path == "/admin/", path  # the section being shown is marked
    console = root.get("/console/").get_data(as_text=True)
    assert 'href="/admin/"' in console  # the console's menu leads to the admin pages


def _campaign() -> dict[str, str]:
    return {
        "name": "高龄津贴告知",
        "benefit": "高龄津贴",
        "rule": '{"age": {"gte": 80}}',
        "template_id": "TPL",
        "template_fields": '{"thing1": "{name}您好"}',
        "window_text": "",
        "apply_keyword": "申请",
        "apply_payload": "",
        "starts_at": "",
        "quiet_start": "21:00",
        "quiet_end": "08:00",
        "cap_per_week": "2",
        "rate_per_second": "20",
    }


def test_the_analytics_page_shows_chinese_names(app, sessions, signed_in):
    with sessions.begin() as sess:
        conv = Conversation(sender_id="web:labels", channel="web")
        sess.add(conv)
        sess.flush()
        record(sess, "conversation_started", conv.id, at=at(D1, "09:00:00"))
        record(sess, "flow_started", conv.id, at=at(D1, "09:00:00"), flow="assistance_apply_form")
        record(
            sess,
            "message_in",
            conv.id,
            at=at(D1, "09:00:00"),
            intent="assistance_apply",
            confidence=0.9,
            flow="assistance_apply_form",
            step="assistance_type",
        )
        record(sess, "handoff_requested", conv.id, at=at(D1, "09:01:00"), reason="sensitive")
        record(sess, "handoff_requested", conv.id, at=at(D1, "09:02:00"), reason="rule:信访")
    text = signed_in("boss")[0].get(f"/admin/analytics?start={D1}&end={D3}").get_data(as_text=True)
    for chinese in (
        "社会救助申请",
        "救助类型",
        "申请社会救助",
        "紧急/敏感情况",
        "居民要求转人工",
        "投诉",
        "规则：信访",
        "预约婚姻登记",
    ):
        assert chinese in text, chinese
    for raw in ("assistance_apply_form", "assistance_type", "sensitive", "resident_request", "marriage_book"):
        assert raw not in text, raw
    assert "marriage_form" in text  # a name labels.yml does not know is shown as it is


def test_a_name_without_a_label_is_shown_as_it_is():
    assert labels.label("flow", "assistance_apply_form") == "社会救助申请"
    assert labels.label("reason", "rule:信访") == "规则：信访"
    assert labels.label("intent", "brand_new_intent") == "brand_new_intent"
    assert labels.label("step", None) == ""


def test_every_intent_form_and_handoff_reason_of_the_bot_has_a_chinese_name():
    from actions.handoff import REASONS

    intents, forms, slots = {"nlu_fallback"}, set(), set()
    for path in (ROOT / "bot" / "domain").glob("*.yml"):
        domain = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        intents |= {i if isinstance(i, str) else next(iter(i)) for i in domain.get("intents") or []}
        forms |= set(domain.get("forms") or {})
        slots |= {s for form in (domain.get("forms") or {}).values() for s in form.get("required_slots") or []}
    for path in (ROOT / "nlu_data").glob("*.yml"):
        intents |= {
            block["intent"]
            for block in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu") or []
            if "intent" in block
        }
    said = re.compile(r'request_handoff\(\w+, "(\w+)"|queue\.enqueue\(\w+, \w+, "(\w+)"')
    reasons = set(REASONS.values()) | {
        m
        for path in [*(ROOT / "actions").rglob("*.py"), *(ROOT / "web").rglob("*.py")]
        for pair in said.findall(path.read_text(encoding="utf-8"))
        for m in pair
        if m
    }
    assert "backoffice_down" in reasons
    kinds = yaml.safe_load(dangers.RESPONSES_FILE.read_text(encoding="utf-8"))["kinds"]
    reasons |= {f"danger:{kind}/{who}" for kind in kinds for who in ("self", "elderly", "child", "other")}
    for kind, names in (("intent", intents), ("flow", forms), ("step", slots), ("reason", reasons)):
        missing = sorted(n for n in names if labels.label(kind, n) == n)
        assert not missing, f"labels.yml has no Chinese name for these {kind}s: {missing}"
    assert labels.label("reason", "danger:violence/child") == "危险·暴力伤害（孩子）"


def test_section_endpoints_exist(app):
    assert all(s.endpoint in app.view_functions for s in SECTIONS)


def campaign_link(app, sessions, payload: str = "") -> str:
    """A running campaign's link page for one resident (its delivery), as the push carries it."""
    from web.policy.models import PolicyCampaign, PolicyDelivery

    with sessions.begin() as sess:
        c = PolicyCampaign(
            **{
                **_campaign(),
                "rule": {"age": {"gte": 80}},
                "template_fields": {},
                "starts_at": None,
                "cap_per_week": 2,
                "rate_per_second": 20.0,
                "apply_payload": payload,
            },
            created_by="boss",
            counts={},
        )
        sess.add(c)
        sess.flush()
        d = PolicyDelivery(campaign_id=c.id, resident_id=1, openid="oResident1")
        sess.add(d)
        sess.flush()
        return "/policy/r/" + app.extensions["policy"].links.signer.dumps(d.id)


def test_the_residents_campaign_link_page_uses_the_same_csrf_check(app, sessions):
    link = campaign_link(app, sessions)
    resident = app.test_client()
    assert "高龄津贴" in resident.get(link).get_data(as_text=True)
    expired = resident.post(link, data={"csrf_token": "forged"})
    assert expired.status_code == 400 and "请重新打开消息里的链接" in expired.get_data(as_text=True)
    # with the session's token the form gets through (this campaign starts no conversation: 404)
    assert resident.post(link, data={"csrf_token": csrf_token(resident)}).status_code == 404
