"""Issue 22 through the real stack, as WeChat residents: a day of a year whose holiday arrangement is not published
is booked with the provisional notice; when the first weeks have no free place the resident is told why, day by
day, and offered the free days after them (never "最近几周都已经约满了" while places are free).

Test data (an office's booking window, full days, a closure) is put straight into the stack's back-office database
and taken out again."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from backoffice.marriage import calendar
from backoffice.marriage.models import MarriageBookingRules, MarriageClosure, MarriageSlot
from common.db import make_engine
from tests.marriage.people import person
from tests.marriage.test_calendar_and_office_rules import DEFAULTS, first_unpublished_year
from tests.marriage.test_conversations import Resident, backoffice, days, typed, zh

pytestmark = pytest.mark.stack


@pytest.fixture(scope="module")
def bo_engine(live_stack):
    engine = make_engine(live_stack.env["BACKOFFICE_DATABASE_URL"])
    yield engine
    engine.dispose()


@pytest.fixture
def horizon(bo_engine) -> Iterator:
    """``horizon(office, days)``: the office books that far ahead for this test (its own rules row, removed after)."""
    offices: list[str] = []

    def make(office: str, horizon_days: int) -> None:
        offices.append(office)
        with Session(bo_engine) as sess, sess.begin():
            sess.merge(MarriageBookingRules(office_code=office, **{**DEFAULTS, "horizon_days": horizon_days}))

    yield make
    with Session(bo_engine) as sess, sess.begin():
        sess.execute(delete(MarriageBookingRules).where(MarriageBookingRules.office_code.in_(offices)))


def test_a_day_of_a_year_not_yet_published_is_booked_with_the_provisional_notice(live_stack, horizon):
    year = first_unpublished_year()
    earliest = max(date(year, 1, 1), calendar.today() + timedelta(days=3))
    horizon("BS-MR-01", (earliest - calendar.today()).days + 40)
    target = next(
        d
        for d in days(live_stack, "BS-MR-01", earliest.isoformat(), 40)
        if d["open"] and not d["peak"] and any(s["free"] and s["start"] < "12:00" for s in d["slots"])
    )
    assert f"{year}年的放假安排国务院还没有公布" in target["notice"]
    r = Resident.verified(live_stack, "provisional", "男")
    woman = person("女", 27, "陈静")
    r.confirm_self("你好，我想预约结婚登记")
    assert "哪一天" in r.say("宝山区婚姻登记中心")
    reply = r.say(typed(target["date"], "上午"))
    assert f"{year}年的放假安排国务院还没有公布" in reply and "按法定节假日推算" in reply, reply
    assert "还没有公布，这一天暂时还不能预约" not in reply and "另一方" in reply
    r.say(woman.name)
    r.say(woman.id_number)
    summary = r.say("好")
    assert "请核对" in summary and zh(target["date"]) in summary
    done = r.say("确认")
    assert "预约成功" in done, done
    booked = backoffice(live_stack, "/marriage/appointments", openid=r.openid).json()["appointments"]
    assert [a["date"] for a in booked] == [target["date"]]


@pytest.fixture
def busy_weeks(live_stack, bo_engine, horizon) -> Iterator[tuple[str, list[dict], dict]]:
    """BS-MR-02's first three weeks of bookable days full, one of them closed for an upgrade; its window 45 days.
    Gives the office, the days made full or closed, and the closed day."""
    office = "BS-MR-02"
    horizon(office, 45)
    window = days(live_stack, office, None, 21)
    bookable = [d for d in window if d["open"]]
    closed, full = bookable[2], [d for i, d in enumerate(bookable) if i != 2]
    made: list[int] = []
    lowered: dict[int, int] = {}
    closure_ids: list[int] = []
    with Session(bo_engine) as sess, sess.begin():
        for d in full:
            for s in d["slots"]:
                row = sess.scalar(
                    select(MarriageSlot).where(
                        MarriageSlot.office_code == office,
                        MarriageSlot.day == date.fromisoformat(d["date"]),
                        MarriageSlot.start == s["start"],
                    )
                )
                if row is None:
                    row = MarriageSlot(
                        office_code=office, day=date.fromisoformat(d["date"]), start=s["start"], end=s["end"]
                    )
                    row.capacity, row.booked = 0, 0
                    sess.add(row)
                    sess.flush()
                    made.append(row.id)
                else:
                    lowered[row.id] = row.capacity
                    row.capacity = row.booked
        closure = MarriageClosure(
            office_code=office, day=date.fromisoformat(closed["date"]), reason="系统升级，暂停办理"
        )
        sess.add(closure)
        sess.flush()
        closure_ids.append(closure.id)
    yield office, full, closed
    with Session(bo_engine) as sess, sess.begin():
        sess.execute(delete(MarriageSlot).where(MarriageSlot.id.in_(made)))
        for row_id, capacity in lowered.items():
            sess.get(MarriageSlot, row_id).capacity = capacity
        sess.execute(delete(MarriageClosure).where(MarriageClosure.id.in_(closure_ids)))


def test_full_weeks_are_explained_and_the_free_days_after_them_offered(live_stack, busy_weeks):
    office, full, closed = busy_weeks
    after = [
        d
        for d in days(live_stack, office, full[-1]["date"], 25)
        if d["date"] > full[-1]["date"] and d["open"] and any(s["free"] for s in d["slots"])
    ]
    assert after, "the test needs free days after the full weeks"
    r = Resident.verified(live_stack, "busy", "女")
    r.confirm_self("预约补领结婚证")
    reply = r.say("宝山区婚姻登记中心南部服务点")
    assert "最近几周都已经约满了" not in reply, reply
    assert "约不上" in reply and "已经约满了" in reply and f"{closed['label']}系统升级，暂停办理" in reply, reply
    assert zh(full[0]["date"]) in reply  # the full days are named, from the first
    offered = reply.split("最近能约的日子有")[-1]
    assert zh(after[0]["date"]) in offered and not any(zh(d["date"]) in offered for d in full)


def test_a_day_beyond_the_window_is_explained_and_days_within_it_offered(live_stack):
    """Before: the days offered started after the refused day, all beyond the window, and the bot said
    "最近几周都已经约满了" at an office with free places."""
    window = [d for d in days(live_stack, "PT-MR-02", None, 40)]
    beyond = next(d for d in window if d["reason"] == "不在可预约的日期范围内")
    free = [d for d in window if d["open"] and any(s["free"] for s in d["slots"])]
    r = Resident.verified(live_stack, "beyond", "女")
    r.confirm_self("预约补领结婚证")
    r.say("普陀区婚姻登记中心长风服务点")
    reply = r.say(typed(beyond["date"]))
    assert "不在可预约的日期范围内" in reply and "约满" not in reply and "没有空位" not in reply, reply
    assert zh(free[0]["date"]) in reply.split("最近能约的日子有")[-1]
