"""`/admin/analytics` in the system's Chromium: the real web app on a loopback port, the fixture's events."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import pytest
from sqlalchemy.orm import sessionmaker

from common import settings
from common.db import make_engine
from common.migrate import upgrade
from tests.analytics.conftest import D1, D3, load_fixture
from tests.browser.conftest import sign_in
from tests.serving import served

pytestmark = pytest.mark.browser
SUPERVISOR, AGENT, PASSWORD = "analytics_supervisor", "analytics_agent", "browser-test-password"


@pytest.fixture
def web_url(tmp_path, redis_url, monkeypatch) -> Iterator[str]:
    db = f"sqlite:///{tmp_path / 'platform.db'}"
    upgrade("platform", db)
    sessions = sessionmaker(make_engine(db))
    load_fixture(sessions)
    from web.console import accounts

    with sessions.begin() as sess:
        accounts.create(sess, SUPERVISOR, PASSWORD, "supervisor", "李主管")
        accounts.create(sess, AGENT, PASSWORD, "agent", "小王")
    for key, value in {"DATABASE_URL": db, "REDIS_URL": redis_url, "RASA_URL": "http://127.0.0.1:9"}.items():
        monkeypatch.setenv(key, value)
    from web.app import create_app

    with served(create_app(settings.load())) as url:
        yield url


def test_the_page_needs_a_supervisor_login(web_url, browser):
    page = browser.new_page()
    page.goto(web_url + "/admin/analytics")
    assert "/console/login" in page.url  # the console's sign-in (web/admin/guard.py)
    sign_in(page, web_url, AGENT, PASSWORD)
    assert page.goto(web_url + "/admin/analytics").status == 403  # agents do not see the figures
    assert page.goto(web_url + "/admin/").status == 403


def test_from_the_landing_page_through_the_navigation(web_url, browser):
    page = browser.new_page()
    page.goto(web_url + "/admin/")
    page.fill("#username", SUPERVISOR)  # signing in returns to the page asked for
    page.fill("#password", PASSWORD)
    page.click("#sign-in")
    page.wait_for_url("**/admin/")
    assert page.locator("h1").inner_text() == "管理后台"
    nav = page.get_by_role("navigation", name="管理后台")
    assert nav.get_by_role("link").all_inner_texts() == [
        "数据分析",
        "政策找人",
        "政策工具书",
        "语料审核",
        "差评回访",
        "快捷回复",
        "婚姻登记预约",
        "祭扫预约",
        "下班值班",
    ]
    nav.get_by_role("link", name="数据分析").click()
    page.wait_for_url("**/admin/analytics")
    assert nav.locator("[aria-current=page]").inner_text() == "数据分析"
    assert page.get_by_label("区").count() == 1  # the filters have labels
    nav.get_by_role("link", name="语料审核").click()
    page.wait_for_url("**/admin/review/")
    assert nav.locator("[aria-current=page]").inner_text() == "语料审核"


def test_figures_charts_filters_and_csv(web_url, browser):
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    sign_in(page, web_url, SUPERVISOR, PASSWORD)
    page.goto(f"{web_url}/admin/analytics?start={D1}&end={D3}")
    assert page.locator("#tile-conversations b").inner_text() == "4"
    assert page.locator("#tile-containment b").inner_text() == "50.0%"
    assert page.locator("#tile-first-reply b").inner_text() == "6 分 0 秒"
    assert page.locator("#per-day svg rect").count() == 3
    assert page.locator("#ratings svg rect").count() == 5
    assert "marriage_form" in page.locator("#flows table").inner_text()  # a flow labels.yml does not know, as it is
    reasons = page.locator("#reasons svg").text_content()
    assert "居民要求转人工" in reasons and "投诉" in reasons and "resident_request" not in reasons
    assert "打招呼" in page.locator("#intents svg").text_content()
    page.select_option("select[name=district]", "普陀区")
    page.click("#filters button")
    page.wait_for_url("**district=*")
    assert page.locator("#tile-conversations b").inner_text() == "1"
    assert page.locator("#tile-containment b").inner_text() == "100.0%"
    with page.expect_download() as download:
        page.click("#csv")
    rows = list(csv.reader(io.StringIO(download.value.path().read_text(encoding="utf-8-sig"))))
    assert rows[0] == ["metric", "key", "value"]
    assert ["conversations", D1, "1"] in rows and ["rating", "非常满意", "1"] in rows
    context.close()
