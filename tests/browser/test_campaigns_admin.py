"""`/admin/campaigns` in the system's Chromium: write a rule (a bad one first), preview, save, start,
watch the funnel fill, export the CSVs. The real web app on a loopback port, the seeded demo
registry, the WeChat stand-in; "start" runs the worker's steps in-process."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import pytest
import redis
from sqlalchemy import text
from sqlalchemy.orm import sessionmaker

from common import settings
from common.db import make_engine
from common.migrate import upgrade
from tests.browser.conftest import sign_in
from tests.policy.helpers import ServedStandin, opt_in, sender_for
from tests.serving import served
from web.policy import campaigns, standards

pytestmark = pytest.mark.browser
SUPERVISOR, AGENT, PASSWORD = "policy_supervisor", "policy_agent", "browser-test-password"
BAD_RULE = '{"all": [{"age": {"gte": 80}}, {"benefit": {"not_held": "高龄金贴"}}]}'
GOOD_RULE = '{"all": [{"age": {"gte": 18}}, {"benefit": {"not_held": "价格临时补贴"}}]}'


@pytest.fixture
def web_url(tmp_path, redis_url, seeded_backoffice_url, monkeypatch) -> Iterator[str]:
    db = f"sqlite:///{tmp_path / 'platform.db'}"
    upgrade("platform", db)
    sessions = sessionmaker(make_engine(db), expire_on_commit=False)
    from web.console import accounts

    with sessions.begin() as sess:
        accounts.create(sess, SUPERVISOR, PASSWORD, "supervisor", "李主管")
        accounts.create(sess, AGENT, PASSWORD, "agent", "小王")
    registry = make_engine(seeded_backoffice_url)
    with registry.connect() as conn:
        openids = [o for (o,) in conn.execute(text("SELECT openid FROM wechat_binding"))]
    wechat = ServedStandin()
    wechat.subscribe(*openids, template_id="TPL_price_subsidy")  # they accepted the campaign's notices
    opt_in(sessions, *openids, template_id="TPL_price_subsidy")
    for key, value in {
        "DATABASE_URL": db,
        "REDIS_URL": redis_url,
        "RASA_URL": "http://127.0.0.1:9",
        "REGISTRY_DATABASE_URL": seeded_backoffice_url,
        "BACKOFFICE_URL": "http://127.0.0.1:9",
    }.items():
        monkeypatch.setenv(key, value)
    from web.app import create_app

    app = create_app(settings.load())
    sender = sender_for(sessions, redis.Redis.from_url(redis_url), wechat.url)

    def worker(task: str, args: list) -> None:  # what the Celery worker does, in-process
        if task == "policy.prepare":
            campaigns.prepare(sessions, registry, standards.fallback(), args[0])
            for first, last in campaigns.ranges(sessions, args[0]):
                sender.run_batch(args[0], first, last)
            campaigns.maybe_complete(sessions, args[0])

    app.extensions["policy"].enqueue = worker
    with served(app) as url:
        yield url
    wechat.close()


def test_only_supervisors_and_admins_see_campaigns(web_url, browser):
    page = browser.new_page()
    page.goto(web_url + "/admin/campaigns/")
    assert "/console/login" in page.url
    sign_in(page, web_url, AGENT, PASSWORD)
    assert page.goto(web_url + "/admin/campaigns/").status == 403


def test_write_preview_start_and_export(web_url, browser):
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    sign_in(page, web_url, SUPERVISOR, PASSWORD)
    page.goto(web_url + "/admin/campaigns/new")
    page.fill("#name", "价格临时补贴告知")
    page.select_option("#benefit", "价格临时补贴")
    page.fill("#rule", BAD_RULE)
    page.fill("#template_id", "TPL_price_subsidy")
    page.fill("#apply_payload", '/assistance_apply{"assistance_type": "临时救助"}')
    page.fill("input[name=quiet_start]", "00:00")  # no quiet hours: the push happens now, whatever the hour in Shanghai
    page.fill("input[name=quiet_end]", "00:00")
    page.click("#preview-button")
    errors = page.locator("#errors").inner_text()
    assert "rule.all[1].benefit.not_held" in errors and "不认识的待遇名称" in errors and "unknown benefit" in errors
    page.fill("#rule", GOOD_RULE)
    page.click("#preview-button")
    matched = int(page.locator("#preview-matched b").inner_text())
    assert matched > 100
    assert int(page.locator("#preview-reachable b").inner_text()) == 3  # the seed's three bound residents
    assert int(page.locator("#preview-no_wechat b").inner_text()) == matched - 3
    assert page.locator("#sample tr").count() > 1
    assert "*" in page.locator("#sample").inner_text()  # names and ID numbers are masked
    page.click("#save-button")
    page.wait_for_url("**/admin/campaigns/*")
    assert page.locator("#state").inner_text() == "草稿"
    page.click("#start-button")
    page.wait_for_load_state()
    assert page.locator("#state").inner_text() == "已完成"
    assert page.locator("#stage-sent td").nth(1).inner_text() == "3"
    assert page.locator("#funnel svg rect").count() == 6
    with page.expect_download() as info:
        page.click("#funnel-csv")
    rows = list(csv.reader(io.StringIO(info.value.path().read_text(encoding="utf-8-sig"))))
    assert rows[0] == ["阶段", "stage", "人数", "占符合条件"] and rows[3][:3] == ["已发送", "sent", "3"]
    with page.expect_download() as info:
        page.click("#advisors-csv")
    advisors = list(csv.reader(io.StringIO(info.value.path().read_text(encoding="utf-8-sig"))))
    assert len(advisors) == matched - 3 + 1 and {r[0] for r in advisors[1:]} == {"未绑定微信"}
    assert all("*" in r[4] for r in advisors[1:])  # ID numbers masked
    page.click("#pause-button")  # a completed campaign cannot be paused
    assert "不能这样操作" in page.content()
