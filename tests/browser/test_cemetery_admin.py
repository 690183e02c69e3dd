"""`/admin/cemetery/` in the system's Chromium, as a supervisor: pick a cemetery, announce a day's opening, change a
slot's capacity (refused below what is booked, in the back-office's words; then for the whole season), issue a gate
attendant's check-in code and stop it. axe-core finds no serious or critical violation on the page, before and after.
The real web app and the real back-office app (over the seeded demo registry), each on a loopback port; every change
is an audit entry naming the supervisor, and the back-office records them too."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from backoffice.cemetery import schedule
from backoffice.cemetery.models import CemeteryAttendant, CemeteryBooking, CemeteryOpening, CemeterySlot
from backoffice.marriage.calendar import chinese_date, today
from common import settings
from common.backoffice_client import BackofficeClient
from common.db import make_engine
from common.migrate import upgrade
from tests.admin.conftest import PASSWORD, web_app
from tests.browser.conftest import sign_in
from tests.browser.test_accessibility import blocking_violations
from tests.cemetery.conftest import season_days
from tests.conftest import seeded_backoffice
from tests.marriage.people import person, verified
from tests.serving import served
from web.admin.audit import AuditEntry

pytestmark = pytest.mark.browser
TOKEN = "cemetery-admin-token"


@dataclass
class Site:
    url: str
    platform: sessionmaker
    registry: sessionmaker
    backoffice: BackofficeClient


@pytest.fixture
def site(tmp_path, tmp_path_factory, redis_url, monkeypatch) -> Iterator[Site]:
    bo_url = seeded_backoffice(tmp_path_factory, "cemetery_admin")
    db = f"sqlite:///{tmp_path / 'platform.db'}"
    upgrade("platform", db)
    platform = sessionmaker(make_engine(db), expire_on_commit=False)
    registry = sessionmaker(make_engine(bo_url), expire_on_commit=False)
    from backoffice.app import create_app as create_backoffice

    monkeypatch.setenv("BACKOFFICE_DATABASE_URL", bo_url)
    monkeypatch.setenv("BACKOFFICE_TOKEN", TOKEN)
    real_backoffice = create_backoffice(settings.load())
    with served(real_backoffice) as backoffice_url:
        app = web_app(platform, db, redis_url, backoffice_url, bo_url, backoffice_token=TOKEN)
        with served(app) as url:
            yield Site(url, platform, registry, BackofficeClient(backoffice_url, TOKEN, retries=0))
        app.extensions["database"].engine.dispose()
    real_backoffice.extensions["database"].engine.dispose()


def audited(site: Site, action: str) -> list[AuditEntry]:
    with site.platform() as sess:
        return list(sess.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def flashed(page: Page) -> str:
    return page.locator(".flash").inner_text()


def test_a_supervisor_plans_the_season_and_issues_a_gate_code(site, browser):
    day, other = season_days()[0], season_days()[1]
    site.backoffice.put(f"/cemetery/openings/{day}", {"opens_at": "2020-01-01T10:00"})
    verified(site.registry.kw["bind"], "o-admin-cem", person("女", 66, "王秀兰"))
    visit = {"cemetery_code": "CEM-PT-01", "date": day.isoformat(), "gate_code": "CEM-PT-01-M", "start": "08:00"}
    site.backoffice.post("/cemetery/bookings", {**visit, "openid": "o-admin-cem", "companions": 3}, "adm-1")

    page = browser.new_page(locale="zh-CN")
    sign_in(page, site.url, "boss", PASSWORD)
    page.goto(site.url + "/admin/")
    page.get_by_role("link", name="祭扫预约").first.click()
    page.get_by_role("link", name="普陀区长风骨灰堂").click()
    expect(page.get_by_role("heading", name="什么时候开始预约")).to_be_visible()
    booked = page.locator(f'tr[data-day="{day}"] td[data-slot="CEM-PT-01-M|08:00"]')
    expect(booked).to_have_text("已约 4 / 名额 40")
    found = blocking_violations(page)

    # The bureau announces another day's opening.
    page.get_by_label(f"{chinese_date(other)}开始预约的时间").fill(f"{other.year - 1}-12-01T09:30")
    page.locator(f'tr[data-day="{other}"]').get_by_role("button", name="保存").click()
    expect(page.locator(".flash")).to_contain_text(f"已保存：{other} 的祭扫预约从 {other.year - 1}-12-01 09:30 开始")
    expect(page.locator(f'#openings tr[data-day="{other}"]')).to_contain_text("boss")

    # Fewer places than booked: refused, in the back-office's words; then more places for the whole season.
    page.get_by_label("入口和时段").select_option(label="正门 08:00-10:00")
    page.get_by_label("哪一天").select_option(label=chinese_date(day))
    page.get_by_label("名额（人）").fill("2")
    page.get_by_role("button", name="保存名额").click()
    expect(page.locator(".flash.error")).to_contain_text("已经约了4人，名额不能少于4")
    found += blocking_violations(page)
    page.get_by_label("入口和时段").select_option(label="正门 08:00-10:00")
    page.get_by_label("哪一天").select_option(label="这一季还没过的每一天")
    page.get_by_label("名额（人）").fill("60")
    page.get_by_role("button", name="保存名额").click()
    expect(page.locator(".flash")).to_contain_text("名额已改成 60 人（这一季还没过的每一天")
    expect(booked).to_contain_text("已约 4 / 名额 60")
    expect(booked).to_contain_text("boss改过")

    # A gate attendant's code, shown once; then stopped.
    page.get_by_label("姓名或工号").fill("张师傅")
    page.get_by_role("button", name="发核验码").click()
    expect(page.locator(".flash")).to_contain_text("已给 张师傅 发了核验码")
    code = re.search(r"核验码：(\d{8})", flashed(page)).group(1)
    expect(page.locator("#attendants tbody")).to_contain_text("张师傅")
    found += blocking_violations(page)
    page.get_by_role("button", name="停用张师傅的核验码").click()
    expect(page.locator(".flash")).to_contain_text("张师傅 的核验码已经停用")
    expect(page.locator("#attendants")).to_contain_text("现在没有能用的核验码")
    assert code not in page.content()
    found += blocking_violations(page)
    assert not found, "axe-core found:\n" + "\n".join(found)

    with Session(site.registry.kw["bind"]) as sess:  # what the back-office holds, and who it says did it
        assert sess.get(CemeteryOpening, other).announced_by == "boss"
        slots = sess.scalars(
            select(CemeterySlot).where(CemeterySlot.gate_code == "CEM-PT-01-M", CemeterySlot.start == "08:00")
        ).all()
        assert {(s.capacity, s.capacity_by) for s in slots} == {(60, "boss")}
        assert len(slots) == len([d for d in schedule.upcoming(today()).days() if d >= today()])  # none past
        [attendant] = sess.scalars(select(CemeteryAttendant)).all()
        assert (attendant.name, attendant.issued_by, attendant.revoked) == ("张师傅", "boss", True)
        assert code not in attendant.code_digest
    [opening] = audited(site, "cemetery_opening")
    assert opening.detail == {"day": other.isoformat(), "opens_at": f"{other.year - 1}-12-01T09:30"}
    [capacity] = audited(site, "cemetery_capacity")  # the refused change is not an entry
    assert (capacity.detail["capacity"], capacity.detail["gate"], capacity.detail["start"]) == (
        60,
        "CEM-PT-01-M",
        "08:00",
    )
    assert day.isoformat() in capacity.detail["days"]
    [issued] = audited(site, "cemetery_attendant")
    assert issued.detail["name"] == "张师傅" and code not in str(issued.detail)
    assert [e.detail["attendant"] for e in audited(site, "cemetery_attendant_revoke")] == [attendant.id]
    assert all(e.agent_id is not None for e in (opening, capacity, issued))


def test_an_agent_cannot_open_it(site, browser):
    page = browser.new_page(locale="zh-CN")
    sign_in(page, site.url, "agent", PASSWORD)
    assert page.goto(site.url + "/admin/cemetery/").status == 403


def test_the_attendant_checks_a_visitor_in_on_the_gate_page(site, browser):
    """The gate-check page (the back-office's own, public) in Chromium: the code typed, 核验入园 pressed, the page
    says so; axe-core on it before and after."""
    day = season_days()[2]
    site.backoffice.put(f"/cemetery/openings/{day}", {"opens_at": "2020-01-01T10:00"})
    verified(site.registry.kw["bind"], "o-gate-cem", person("男", 72, "李建国"))
    visit = {"cemetery_code": "CEM-PT-01", "date": day.isoformat(), "gate_code": "CEM-PT-01-M", "start": "10:00"}
    made = site.backoffice.post("/cemetery/bookings", {**visit, "openid": "o-gate-cem", "companions": 1}, "gate-1")
    with Session(site.registry.kw["bind"]) as sess, sess.begin():  # the day has come (the test runs on any date)
        sess.execute(update(CemeteryBooking).where(CemeteryBooking.number == made["number"]).values(day=today()))
    code = site.backoffice.post("/cemeteries/CEM-PT-01/attendants", {"name": "张师傅", "valid_until": day.isoformat()})[
        "code"
    ]
    page = browser.new_page(locale="zh-CN")
    page.goto(made["gate_url"])
    expect(page.locator(".verdict")).to_have_text("今天有效")
    found = blocking_violations(page)
    page.get_by_label("门岗核验码").fill(code)
    page.get_by_role("button", name="核验入园").click()
    expect(page.get_by_role("alert")).to_have_text("核验好了，请2位入园。")
    expect(page.locator(".verdict")).to_contain_text("已核验入园")
    found += blocking_violations(page)
    page.goto(made["gate_url"])  # scanned again later
    expect(page.locator(".verdict")).to_contain_text("不能再次入园")
    expect(page.get_by_role("button", name="核验入园")).to_have_count(0)
    assert not found, "axe-core found:\n" + "\n".join(found)
