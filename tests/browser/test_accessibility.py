"""axe-core (WCAG 2.0/2.1 A and AA rules) on every page a resident, an agent or a staff member sees,
in the system's Chromium: no violation of impact serious or critical.

The pages are enumerated from the app's url_map: every GET route is either a page here (with how to
reach it) or named as not a page (JSON, CSV, a fragment, a redirect), so a new page cannot be missed.
axe-core comes from the npm registry (tests/browser/widgets/package.json, installed by `make test`).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
import redis
from flask import Flask
from playwright.sync_api import BrowserContext, Page, expect
from sqlalchemy.orm import sessionmaker
from werkzeug.wrappers import Request, Response

from common import settings
from common.db import make_engine
from common.migrate import upgrade
from tests.admin.conftest import ENTRY
from tests.analytics.conftest import load_fixture
from tests.browser.conftest import sign_in
from tests.serving import served
from web.console import accounts
from web.conversations.models import Conversation, Message
from web.feedback.models import Rating
from web.handoff import queue
from web.identity.views import OPENID
from web.outbound import Outbound
from web.policy.models import PolicyCampaign, PolicyDelivery
from web.rasa_client import BotMessage, Button
from web.review.models import ReviewItem

pytestmark = pytest.mark.browser

AXE = Path(__file__).parent / "widgets" / "node_modules" / "axe-core" / "axe.min.js"
WCAG_A_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = {"serious", "critical"}
ADMIN, AGENT, PASSWORD = "a11y_admin", "a11y_agent", "browser-test-password"
OPENID_SEEN = "o_a11y_resident"

# Pages a resident sees, without signing in ({campaign_link}: a campaign's link, filled in below).
RESIDENT_PAGES = {
    "chat_page.page": "/chat",
    "subscriptions.optin": "/subscriptions/",
    "policy_public.opened": "/policy/r/{campaign_link}",
    "identity.status": "/identity/",  # with this WeChat's identity in the session (see `context`)
    "identity.bind_from_chat": "/identity/bind/stale-token",  # 这个认证链接已经过期了
    "identity.after_wechat": "/identity/wechat",  # opened the wrong way
    "identity.callback": "/identity/callback",  # the sign-in took too long
    "console.login": "/console/login",
}
# Pages staff see, signed in as an administrator (who sees every one of them).
STAFF_PAGES = {
    "console.queue_page": "/console/",
    "console.conversation_page": "/console/conversations/{conversation}",
    "console.canned_page": "/console/canned",
    "console.supervisor_page": "/console/supervisor",
    "console.admin_page": "/console/admin",
    "admin.index": "/admin/",
    "analytics.page": "/admin/analytics",
    "policy_admin.index": "/admin/campaigns/",
    "policy_admin.new": "/admin/campaigns/new",
    "policy_admin.detail": "/admin/campaigns/{campaign}",
    "policy_admin.edit": "/admin/campaigns/{campaign}/edit",  # a paused campaign, changed
    "feedback.follow_ups": "/admin/feedback/",
    "handbook_admin.list_page": "/admin/handbook/",
    "handbook_admin.edit_page": "/admin/handbook/1",
    "oncall.rota_page": "/admin/oncall/",
    "review.inbox_page": "/admin/review/",
    "marriage_admin.page": "/admin/marriage/",
    "cemetery_admin.page": "/admin/cemetery/",
}
# What those pages show from the fixture's data (the check sees the page with its content).
SHOWN = {
    "/console/": "human_request",
    "/console/conversations/{conversation}": "请带好户口本和身份证",
    "/admin/review/": "结婚登记要带什么材料",
    "/admin/feedback/": "排队太久",
    "/admin/handbook/": "收养登记",
    "/admin/campaigns/": "价格临时补贴提醒",
    "/admin/campaigns/{campaign}": "微信拒绝了这条订阅通知",
    "/identity/": "张*华",
    "/admin/marriage/": "吴立新",
    "/admin/cemetery/": "张师傅",
}
# GET routes that are not pages a person reads.
NOT_PAGES = {
    "static",
    "chat_page.static",
    "chat_page.messages",  # the chat page's mailbox (JSON)
    "identity.from_chat_page",  # a redirect to the identity provider
    "console.stream",  # server-sent events
    "console.queue_rows",  # a fragment of the queue page
    "console.reach",  # JSON
    "console.document_file",  # a resident's photo or PDF, as it is
    "analytics.export_csv",
    "policy_admin.advisors_export",
    "policy_admin.funnel_export",
    "review.download",  # YAML
    "wechat_channel.verify",  # WeChat's server check
    "health.healthz",
    "health.readyz",
    "metrics",
}


MARRIAGE = {
    "/marriage/holiday-arrangements": {
        "years": [
            {
                "year": 2027,
                "source": "provisional",
                "holidays": [{"name": "春节", "first": "2027-02-05", "last": "2027-02-10"}],
                "workdays": [],
                "entered_by": "",
                "entered_at": None,
            }
        ],
        "flagged": [
            {
                "number": "HY27021100001",
                "office": {"name": "普陀区婚姻登记中心"},
                "date_label": "2月11日（周四）",
                "start": "09:00",
                "end": "10:00",
                "parties": [{"name": "吴立新"}],
                "phone": "139****5678",
                "flag": "2027年放假安排公布后，2月11日（周四）是春节假期：请联系当事人改约或取消",
            }
        ],
    },
    "/offices": {"offices": [{"code": "PT-MR-01", "name": "普陀区婚姻登记中心"}]},
    "/marriage/offices/PT-MR-01/booking-rules": {
        "earliest_days_ahead": 1,
        "horizon_days": 30,
        "cutoff": "15:00",
        "cancel_days_before": 1,
        "no_show_limit": 2,
        "no_show_period_days": 30,
        "no_show_ban_days": 15,
    },
}


CEMETERY_SLOTS = [
    {
        "gate_code": "CEM-PT-01-M",
        "gate_name": "正门",
        "start": "08:00",
        "end": "10:00",
        "capacity": 60,
        "booked": 4,
        "capacity_by": "李主管",
    },
    {
        "gate_code": "CEM-PT-01-M",
        "gate_name": "正门",
        "start": "10:00",
        "end": "12:00",
        "capacity": 40,
        "booked": 0,
        "capacity_by": "",
    },
]
CEMETERY = {
    "/cemeteries": {
        "cemeteries": [
            {"code": "CEM-PT-01", "name": "普陀区长风骨灰堂", "address": "云岭东路88号", "hours": "每天 8:00-16:00"}
        ]
    },
    "/cemeteries/CEM-PT-01/plan": {
        "season": {"name": "清明", "date": "2027-04-05", "first": "2027-03-26", "last": "2027-04-12"},
        "days": [
            {
                "date": d,
                "label": label,
                "festival": festival,
                "past": past,
                "opens_at": "2027-03-12T10:00",
                "opens_label": "3月12日（周五）10:00",
                "announced_by": by,
                "waiting": waiting,
                "slots": CEMETERY_SLOTS,
            }
            for d, label, festival, past, by, waiting in (
                ("2027-03-26", "3月26日（周五）", False, True, "", 0),
                ("2027-04-05", "4月5日（周一）", True, False, "李主管", 3),
            )
        ],
    },
    "/cemeteries/CEM-PT-01/attendants": {
        "attendants": [
            {
                "id": 1,
                "cemetery_code": "CEM-PT-01",
                "name": "张师傅",
                "valid_until": "2027-04-12",
                "revoked": False,
                "issued_by": "李主管",
            }
        ]
    },
}


@Request.application
def backoffice(request: Request) -> Response:
    """The back-office's API as far as these pages read it: the handbook, a resident's binding, the marriage
    calendar (a provisional year, a flagged appointment, an office's booking rules), a cemetery's season plan (a day
    past, the festival with an announced opening and a waiting list) and its gate attendants."""
    if request.path.startswith("/identity/bindings/"):
        body = {"masked_name": "张*华"}
    elif request.path in MARRIAGE:
        body = MARRIAGE[request.path]
    elif request.path in CEMETERY:
        body = CEMETERY[request.path]
    else:
        body = {"entries": [ENTRY]} if request.path == "/handbook/entries" else ENTRY
    return Response(json.dumps(body, ensure_ascii=False), content_type="application/json")


@dataclasses.dataclass
class Site:
    url: str
    app: Flask
    ids: dict[str, str]
    outbound: Outbound


@pytest.fixture(scope="module")
def site(tmp_path_factory, redis_url) -> Iterator[Site]:
    workdir = tmp_path_factory.mktemp("a11y")
    db = f"sqlite:///{workdir / 'platform.db'}"
    upgrade("platform", db)
    sessions = sessionmaker(make_engine(db), expire_on_commit=False)
    load_fixture(sessions)  # conversations and events: the analytics page has figures to show
    with sessions.begin() as sess:
        accounts.create(sess, ADMIN, PASSWORD, "admin", "管理员")
        accounts.create(sess, AGENT, PASSWORD, "agent", "小王")
        campaign = PolicyCampaign(
            name="价格临时补贴提醒",
            benefit="价格临时补贴",
            rule={"all": [{"age": {"gte": 18}}]},
            apply_payload='/assistance_apply{"assistance_type": "价格临时补贴"}',
            state="paused",
            counts={"matched": 1, "error": "thing1 超过 20 个字"},  # the page's warning shown too
        )
        sess.add(campaign)
        sess.flush()
        delivery = PolicyDelivery(campaign_id=campaign.id, resident_id=1, openid=OPENID_SEEN, name="张三")
        sess.add(delivery)
        sess.flush()
        conversation = sess.query(Conversation).first()
        # Lines on the conversation page, an item in the review inbox, a rating to call back.
        said = Message(conversation_id=conversation.id, author="resident", text="结婚登记要带什么材料？")
        sess.add_all([said, Message(conversation_id=conversation.id, author="bot", text="请带好户口本和身份证。")])
        sess.flush()
        sess.add(
            ReviewItem(
                message_id=said.id, text="结婚登记要带什么材料？", reason="low_confidence", guess="marriage_book"
            )
        )
        sess.add(
            Rating(
                conversation_id=conversation.id, task="marriage_booking", level=1, follow_up="open", comment="排队太久"
            )
        )
        waiting = sess.query(Conversation).filter(Conversation.id != conversation.id).first()
        queue.enqueue(sess, waiting, "human_request", "urgent", datetime.now())  # a line in the queue
        ids = {"campaign": str(campaign.id), "conversation": str(conversation.id)}
    from web.app import create_app

    with served(backoffice) as backoffice_url:
        config = dataclasses.replace(
            settings.load(),
            database_url=db,
            redis_url=redis_url,
            rasa_urls=("http://127.0.0.1:9",),
            backoffice_url=backoffice_url,
            registry_database_url=f"sqlite:///{workdir / 'registry.db'}",
            secret_key="a11y-test-secret",
        )
        app = create_app(config)
        ids["campaign_link"] = app.extensions["policy"].links.for_delivery(delivery.id).rsplit("/", 1)[1]
        with served(app) as url:
            outbound = Outbound(sessions, redis.Redis.from_url(redis_url), lambda *_: None)
            yield Site(url, app, ids, outbound)
        app.extensions["database"].engine.dispose()


def page_rules(app: Flask) -> set[str]:
    return {rule.endpoint for rule in app.url_map.iter_rules() if "GET" in rule.methods}


def test_every_get_route_is_checked_or_named_as_not_a_page(site):
    routes = page_rules(site.app)
    unlisted = routes - RESIDENT_PAGES.keys() - STAFF_PAGES.keys() - NOT_PAGES
    assert not unlisted, f"new GET routes: add them to RESIDENT_PAGES/STAFF_PAGES (or NOT_PAGES): {sorted(unlisted)}"
    gone = (RESIDENT_PAGES.keys() | STAFF_PAGES.keys() | NOT_PAGES) - routes
    assert not gone, f"routes listed here that the app no longer has: {sorted(gone)}"


def blocking_violations(page: Page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        WCAG_A_AA,
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — " + "; ".join(" ".join(n["target"]) for n in v["nodes"][:5])
        for v in result["violations"]
        if v["impact"] in BLOCKING
    ]


@pytest.fixture
def context(browser, site) -> Iterator[BrowserContext]:
    if not AXE.exists():
        pytest.fail("axe-core is missing: `make test` installs it (npm ci in tests/browser/widgets)")
    ctx = browser.new_context(locale="zh-CN")
    # Nothing leaves the machine (WeChat's JS-SDK on the subscriptions page): only the app answers.
    ctx.route("**/*", lambda route: route.continue_() if route.request.url.startswith(site.url) else route.abort())
    # This WeChat's identity in the session, as after WeChat's web authorisation (/identity/).
    serializer = site.app.session_interface.get_signing_serializer(site.app)
    ctx.add_cookies(
        [
            {
                "name": site.app.config["SESSION_COOKIE_NAME"],
                "value": serializer.dumps({OPENID: OPENID_SEEN}),
                "url": site.url,
            }
        ]
    )
    yield ctx
    ctx.close()


def visit(page: Page, site: Site, path: str) -> list[str]:
    shown, path = SHOWN.get(path), path.format(**site.ids)
    response = page.goto(site.url + path)
    assert response is not None and response.status < 500, f"{path}: {response and response.status}"
    assert page.url.split("?")[0] == site.url + path, f"{path} went to {page.url}"
    assert response.headers["content-type"].startswith("text/html"), path
    if shown:
        expect(page.locator("body")).to_contain_text(shown)
    return [f"{path}: {v}" for v in blocking_violations(page)]


def expired_page(page: Page, submit: str, says: str) -> list[str]:
    """The answer to a form whose CSRF token went stale (web/admin/expired.py)."""
    page.evaluate("document.querySelectorAll('input[name=csrf_token]').forEach(i => { i.value = 'stale'; })")
    page.click(submit)
    expect(page.locator("body")).to_contain_text(says)
    return blocking_violations(page)


def chat_states(page: Page, site: Site) -> list[str]:
    """/chat with a bot message (a link, choices, 朗读), then in 大字模式 with 高对比度."""
    page.goto(site.url + "/chat")
    sender = "web:" + page.locator("#chat").get_attribute("data-sender")
    reply = BotMessage(
        text='您要办哪种登记？详情看<a href="https://mzj.example.gov.cn/hy">婚姻登记须知</a>。',
        buttons=(Button("结婚登记", "/marriage_book"), Button("补领结婚证", "/marriage_reissue")),
    )
    site.outbound.deliver(sender, [reply], reason="agent")
    expect(page.get_by_role("log")).to_contain_text("您要办哪种登记", timeout=10_000)
    found = [f"/chat (a bot message): {v}" for v in blocking_violations(page)]
    page.get_by_label("输入您想问的话").fill("几点开门")  # the resident's own message, and the answer
    page.get_by_role("button", name="发送").click()
    expect(page.locator(".msg.bot")).to_have_count(2)
    page.get_by_role("button", name="大字模式").click()
    page.get_by_role("button", name="高对比度").click()
    found += [f"/chat (大字模式, 高对比度): {v}" for v in blocking_violations(page)]
    page.get_by_role("button", name="大字模式").click()
    page.get_by_role("button", name="高对比度").click()
    return found


def test_no_serious_or_critical_violation_on_any_page(context, site):
    page = context.new_page()
    found: list[str] = []
    for path in RESIDENT_PAGES.values():
        found += visit(page, site, path)
    found += chat_states(page, site)
    link = site.url + RESIDENT_PAGES["policy_public.opened"].format(**site.ids)
    page.goto(link)
    found += [f"/policy/r/… (expired): {v}" for v in expired_page(page, "#apply", "页面已过期")]
    page.goto(link)
    page.get_by_role("button", name="我要申请").click()  # the campaign page with the bot's first answer
    expect(page.locator("body")).to_contain_text("接下来请回到公众号对话框")
    found += [f"/policy/r/… (我要申请): {v}" for v in blocking_violations(page)]
    page.goto(site.url + "/console/login")  # a wrong password: the page says so
    page.fill("#username", ADMIN)
    page.fill("#password", "not-the-password")
    page.click("#sign-in")
    expect(page.locator(".flash.error")).to_contain_text("用户名或密码不对")
    found += [f"/console/login (wrong password): {v}" for v in blocking_violations(page)]
    sign_in(page, site.url, ADMIN, PASSWORD)
    for path in STAFF_PAGES.values():
        found += visit(page, site, path)
    page.goto(site.url + STAFF_PAGES["handbook_admin.edit_page"])
    found += [f"/admin/handbook/1 (expired): {v}" for v in expired_page(page, "#save", "页面已过期")]
    page.goto(site.url + "/console/")
    page.click("#logout")
    sign_in(page, site.url, AGENT, PASSWORD)  # an agent: the queue as agents see it, and no admin pages
    found += visit(page, site, "/console/")
    assert page.goto(site.url + "/admin/").status == 403
    expect(page.locator("body")).to_contain_text("没有权限")
    found += [f"/admin/ (an agent, 403): {v}" for v in blocking_violations(page)]
    assert not found, "axe-core found:\n" + "\n".join(found)
