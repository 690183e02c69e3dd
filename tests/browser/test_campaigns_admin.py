"""`/admin/campaigns` in the system's Chromium, as a staff member who writes no JSON: pick a benefit, start
from its eligibility as the back-office defines it, narrow it with choices and numbers while the audience
count follows, preview, save, start, watch the funnel fill, export the CSVs. An administrator can still
type the rule's text, validated the same way. The real web app on a loopback port, the real back-office
app over the seeded demo registry, the WeChat stand-in; "start" runs the worker's steps in-process."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
import redis
from playwright.sync_api import Page, expect
from sqlalchemy import text
from sqlalchemy.orm import sessionmaker

from common import settings
from common.db import make_engine
from common.migrate import upgrade
from tests.browser.conftest import sign_in
from tests.browser.test_accessibility import blocking_violations
from tests.policy.helpers import ServedStandin, opt_in, sender_for
from tests.serving import served
from web import services
from web.conversations.router import Inbound
from web.conversations.side_effects import SideEffects
from web.policy import campaigns, compiler, schedule, standards, tester
from web.rasa_client import RasaClient

pytestmark = pytest.mark.browser
SUPERVISOR, AGENT, ADMIN, PASSWORD = "policy_supervisor", "policy_agent", "policy_admin", "browser-test-password"
SECOND = "policy_supervisor2"  # approves and starts what the first prepared
STAFF_WECHAT = "o_policy_supervisor"  # the preparer's own WeChat, for the test send
TOKEN = "campaign-browser-token"
BAD_RULE = '{"all": [{"age": {"gte": 80}}, {"benefit": {"not_held": "高龄金贴"}}]}'


@pytest.fixture
def registry(seeded_backoffice_url):
    engine = make_engine(seeded_backoffice_url)
    yield engine
    engine.dispose()


@pytest.fixture
def wechat() -> Iterator[ServedStandin]:
    served_standin = ServedStandin()
    yield served_standin
    served_standin.close()


@pytest.fixture
def web_url(tmp_path, redis_url, seeded_backoffice_url, registry, wechat, monkeypatch) -> Iterator[str]:
    db = f"sqlite:///{tmp_path / 'platform.db'}"
    upgrade("platform", db)
    sessions = sessionmaker(make_engine(db), expire_on_commit=False)
    from backoffice.app import create_app as create_backoffice
    from web.console import accounts

    with sessions.begin() as sess:
        accounts.create(sess, SUPERVISOR, PASSWORD, "supervisor", "李主管")
        accounts.create(sess, AGENT, PASSWORD, "agent", "小王")
        accounts.create(sess, ADMIN, PASSWORD, "admin", "管理员")
        accounts.create(sess, SECOND, PASSWORD, "supervisor", "张主管")
    with registry.connect() as conn:
        openids = [o for (o,) in conn.execute(text("SELECT openid FROM wechat_binding"))]
    wechat.subscribe(*openids, STAFF_WECHAT, template_id="TPL_price_subsidy")  # they accepted the campaign's notices
    opt_in(sessions, *openids, template_id="TPL_price_subsidy")
    monkeypatch.setenv("BACKOFFICE_DATABASE_URL", seeded_backoffice_url)
    monkeypatch.setenv("BACKOFFICE_TOKEN", TOKEN)
    with served(create_backoffice(settings.load())) as backoffice_url:
        for key, value in {
            "DATABASE_URL": db,
            "REDIS_URL": redis_url,
            "RASA_URL": "http://127.0.0.1:9",
            "REGISTRY_DATABASE_URL": seeded_backoffice_url,
            "BACKOFFICE_URL": backoffice_url,
        }.items():
            monkeypatch.setenv(key, value)
        from web.app import create_app

        app = create_app(settings.load())
        sender = sender_for(sessions, redis.Redis.from_url(redis_url), wechat.url)

        def worker(task: str, args: list) -> None:  # what the Celery worker does, in-process
            if task == "policy.test_send":
                tester.send(sessions, sender.api, *args)
            if task == "policy.prepare":
                campaigns.prepare(sessions, registry, standards.fallback(), args[0])
                for first, last in campaigns.ranges(sessions, args[0]):
                    sender.run_batch(args[0], first, last)
                campaigns.maybe_complete(sessions, args[0])

        app.extensions["policy"].enqueue = worker
        with served(app) as url:
            yield url


def residents(registry, where: str, **params) -> int:
    """An independent count, in SQL written here, of the seeded registry."""
    with registry.connect() as conn:
        return conn.execute(text(f"SELECT count(*) FROM resident WHERE {where}"), params).scalar()


def born_by(years: int) -> str:
    return compiler.years_before(date.today(), years).isoformat()


def counted(page: Page, key: str) -> int:
    expect(page.locator("#count-status")).to_contain_text("人能收到推送")
    return int(page.locator(f"#count-{key} b").inner_text())


def wait_for_count(page: Page, key: str, expected: int) -> None:
    expect(page.locator(f"#count-{key} b")).to_have_text(str(expected), timeout=10_000)


def test_only_supervisors_and_admins_see_campaigns(web_url, browser):
    page = browser.new_page()
    page.goto(web_url + "/admin/campaigns/")
    assert "/console/login" in page.url
    sign_in(page, web_url, AGENT, PASSWORD)
    assert page.goto(web_url + "/admin/campaigns/").status == 403


def test_build_from_the_benefits_eligibility_and_narrow_it(web_url, registry, browser):
    page = browser.new_page()
    sign_in(page, web_url, SUPERVISOR, PASSWORD)
    page.goto(web_url + "/admin/campaigns/new")
    expect(page.locator("#rule")).to_be_hidden()  # a supervisor never sees the rule's text
    page.select_option("#benefit", "高龄津贴")
    expect(page.locator("#builder-note")).to_contain_text("已按后台规定的“高龄津贴”申请条件填好")
    expect(page.get_by_label("年龄：数值")).to_have_value("80")
    expect(page.get_by_label("普陀区")).to_be_checked()
    eighty = residents(registry, "birth_date <= :b", b=born_by(80))
    wait_for_count(page, "matched", eighty)
    held = residents(
        registry,
        "birth_date <= :b AND EXISTS (SELECT 1 FROM json_each(benefits) WHERE value = '高龄津贴')",
        b=born_by(80),
    )
    wait_for_count(page, "already_held", held)
    assert (
        counted(page, "no_wechat")
        + counted(page, "already_held")
        + counted(page, "reachable")
        + counted(page, "not_opted_in")
        + counted(page, "consent_withdrawn")
        == eighty
    )
    page.get_by_label("年龄：数值").fill("90")  # narrowed: the count follows
    wait_for_count(page, "matched", residents(registry, "birth_date <= :b", b=born_by(90)))
    page.get_by_label("年龄：怎么比较").select_option("between")
    page.get_by_label("年龄：从").fill("85")
    page.get_by_label("年龄：到").fill("89")
    in_band = "birth_date <= :old AND birth_date > :young"
    wait_for_count(page, "matched", residents(registry, in_band, old=born_by(85), young=born_by(90)))
    page.locator("#builder .group-foot select").first.select_option("gender")
    page.locator("#builder .group-foot button.add").first.click()
    page.get_by_label("性别").select_option("男")
    women_or_men = f"{in_band} AND gender = '男'"
    wait_for_count(page, "matched", residents(registry, women_or_men, old=born_by(85), young=born_by(90)))
    page.get_by_label("宝山区").uncheck()
    wait_for_count(
        page,
        "matched",
        residents(registry, f"{women_or_men} AND hukou_district_code = '310107'", old=born_by(85), young=born_by(90)),
    )
    rule = json.loads(page.locator("#rule").input_value())
    assert rule == {
        "all": [
            {"hukou_district": {"in": ["普陀区"]}},
            {"age": {"between": [85, 89]}},
            {"gender": {"in": ["男"]}},
        ]
    }
    assert "{" not in page.locator("#audience-builder").inner_text()  # no syntax on the staff member's screen
    found = blocking_violations(page)
    assert not found, "axe-core found:\n" + "\n".join(found)
    page.select_option("#benefit", "低保")  # the staff member's edits are not thrown away unasked
    expect(page.locator("#builder-restart")).to_be_visible()
    page.click("#builder-restart")
    expect(page.locator("#builder-note")).to_contain_text("家庭人均月收入不高于低保标准")
    expect(page.get_by_label("家庭人均月收入：标准的几倍")).to_have_value("1")
    expect(page.locator("#count-status")).to_contain_text("人能收到推送")


def test_an_administrator_types_the_rule_validated_the_same_way(web_url, browser):
    page = browser.new_page()
    sign_in(page, web_url, ADMIN, PASSWORD)
    page.goto(web_url + "/admin/campaigns/new")
    page.locator("#raw-rule summary").click()
    page.fill("#rule", BAD_RULE)
    page.click("#apply-raw")
    expect(page.locator("#count-status")).to_contain_text("不认识的待遇名称")
    page.fill("#rule", "all:\n  - age: {gte: 100}\n  - living_alone: true\n")
    page.click("#apply-raw")
    expect(page.get_by_label("年龄：数值")).to_have_value("100")  # the builder shows what was typed
    expect(page.get_by_label("是否独居")).to_have_value("true")
    expect(page.locator("#count-status")).to_contain_text("人能收到推送")


def test_write_preview_start_and_export(web_url, wechat, tmp_path, browser):
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    sign_in(page, web_url, SUPERVISOR, PASSWORD)
    page.goto(web_url + "/admin/campaigns/new")
    page.fill("#name", "价格临时补贴告知")
    page.select_option("#benefit", "价格临时补贴")  # no eligibility in the back-office: conditions added by hand
    expect(page.locator("#builder-note")).to_contain_text("后台没有“价格临时补贴”的申请条件")
    page.fill("#template_id", "TPL_price_subsidy")
    page.locator("#builder .group-foot select").first.select_option("age")
    page.locator("#builder .group-foot button.add").first.click()
    page.get_by_label("年龄：数值").fill("18")
    page.locator("#builder .group-foot select").first.select_option("benefit")
    page.locator("#builder .group-foot button.add").first.click()
    page.get_by_label("价格临时补贴").check()
    expect(page.locator("#apply_flow")).to_have_value("assistance_temporary")  # chosen in words for the benefit
    expect(page.locator("#apply_flow option:checked")).to_have_text("申请临时救助")
    expect(page.locator("#preview-rows")).to_contain_text("价格临时补贴")  # {benefit}, as the resident sees it
    page.fill("#field-thing2", "{name}您好，您家可能符合价格临时补贴的申请条件，请留意")
    expect(page.locator("#field-thing2-problem")).to_contain_text("20 个字以内")  # while typing, before saving
    expect(page.locator("#field-thing2")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#notice-status")).to_contain_text("有 1 个字段不符合微信的规定")
    page.fill("#field-thing2", "{name}您好，您可能可以领取")
    expect(page.locator("#notice-status")).to_contain_text("每个字段都符合微信的规定")
    expect(page.locator("#preview-rows")).to_contain_text("王秀英您好，您可能可以领取")
    page.fill("input[name=quiet_start]", "00:00")  # no quiet hours: the push happens now, whatever the hour in Shanghai
    page.fill("input[name=quiet_end]", "00:00")
    wait_for_count(page, "reachable", 3)  # the seed's three bound residents
    page.click("#preview-button")
    matched = int(page.locator("#preview-matched b").inner_text())
    assert matched > 100
    assert int(page.locator("#preview-reachable b").inner_text()) == 3
    assert int(page.locator("#preview-no_wechat b").inner_text()) == matched - 3
    assert page.locator("#sample tr").count() > 1
    assert "*" in page.locator("#sample").inner_text()  # names and ID numbers are masked
    expect(page.get_by_label("年龄：数值")).to_have_value("18")  # the builder comes back as it was
    page.click("#save-button")
    page.wait_for_url("**/admin/campaigns/*")
    assert page.locator("#state").inner_text() == "草稿"
    expect(page.locator("#reply-flow")).to_contain_text("回复“申请”后：申请临时救助")
    expect(page.locator("#rule-lines")).to_contain_text("年满18岁")
    expect(page.locator("#notice-preview")).to_contain_text("王秀英您好，您可能可以领取")
    found = blocking_violations(page)
    assert not found, "axe-core found:\n" + "\n".join(found)
    page.click("#edit-link")  # a draft can be changed: the builder comes back with its conditions
    expect(page.get_by_label("年龄：数值")).to_have_value("18")
    expect(page.locator("#field-thing2")).to_have_value("{name}您好，您可能可以领取")
    expect(page.locator("#count-status")).to_contain_text("人能收到推送")
    found = blocking_violations(page)
    assert not found, "axe-core found:\n" + "\n".join(found)
    page.fill("#name", "价格临时补贴告知（每月）")
    page.check("#repeat_monthly")  # every month, for whoever newly qualifies
    page.click("#save-button")
    page.wait_for_url("**/admin/campaigns/*")
    expect(page.locator("h1")).to_contain_text("价格临时补贴告知（每月）")
    expect(page.locator("#repeat")).to_contain_text("是")
    page.click("#tester-code-button")  # the preparer sends it to their own WeChat first
    code = page.locator("#tester-code b").inner_text()
    platform = make_engine(f"sqlite:///{tmp_path / 'platform.db'}")
    # sent from the phone: the routing point the WeChat channel calls, with the platform's hooks; the bot (an
    # unreachable one here: it would answer that the system is busy) never hears the code
    router = services.router(sessionmaker(platform), RasaClient(("http://127.0.0.1:9",), ""), SideEffects({}))
    assert [m.text for m in router.handle(Inbound("wechat", STAFF_WECHAT, code))] == [tester.BOUND]
    page.reload()
    page.click("#test-send-button")
    expect(page.locator(".flash.info")).to_contain_text("测试通知已经发到您绑定的微信")
    (notice,) = wechat.notices_to(STAFF_WECHAT)
    assert "李主管您好" in str(notice) and "价格临时补贴" in str(notice)
    page.click("#start-button")  # who prepared it cannot start it
    expect(page.locator("#refused")).to_contain_text("准备或修改过它的人不能自己点")
    assert page.locator("#state").inner_text() == "草稿"
    campaign_url = page.url.rsplit("/", 1)[0] if page.url.endswith("/start") else page.url
    page.click("#logout")
    sign_in(page, web_url, SECOND, PASSWORD)  # a second supervisor checks and starts it
    page.goto(campaign_url)
    expect(page.locator("#approval")).to_contain_text(f"这个活动由 {SUPERVISOR} 准备")
    page.click("#start-button")
    page.wait_for_load_state()
    assert page.locator("#state").inner_text() == "发送中"  # this month's run is done; it waits for the next
    expect(page.locator("#started-by")).to_have_text(SECOND)
    first_of_next_month = (schedule.now_local().date().replace(day=1) + timedelta(days=32)).replace(day=1)
    expect(page.locator("#next-run")).to_contain_text(first_of_next_month.isoformat())
    expect(page.locator("#repeat")).to_contain_text("已算过 1 次")
    assert page.locator("#stage-sent td").nth(1).inner_text() == "3"
    assert page.locator("#funnel svg rect").count() == 6
    page.goto(web_url + "/admin/campaigns/new")  # the same benefit again: the count leaves out who was told
    page.fill("#template_id", "TPL_price_subsidy")
    page.select_option("#benefit", "价格临时补贴")
    page.locator("#builder .group-foot select").first.select_option("age")
    page.locator("#builder .group-foot button.add").first.click()
    page.get_by_label("年龄：数值").fill("18")
    wait_for_count(page, "already_told", 3)
    assert counted(page, "reachable") == 0 and counted(page, "matched") == matched
    page.goto(campaign_url)
    with page.expect_download() as info:
        page.click("#funnel-csv")
    rows = list(csv.reader(io.StringIO(info.value.path().read_text(encoding="utf-8-sig"))))
    assert rows[0] == ["阶段", "stage", "人数", "占符合条件"] and rows[3][:3] == ["已发送", "sent", "3"]
    with page.expect_download() as info:
        page.click("#advisors-csv")
    advisors = list(csv.reader(io.StringIO(info.value.path().read_text(encoding="utf-8-sig"))))
    assert len(advisors) == matched - 3 + 1 and {r[0] for r in advisors[1:]} == {"未绑定微信"}
    assert all("*" in r[4] for r in advisors[1:])  # ID numbers masked
    page.click("#pause-button")
    expect(page.locator("#state")).to_have_text("已暂停")
    page.click("#pause-button")  # a paused campaign cannot be paused again
    assert "不能这样操作" in page.content()
