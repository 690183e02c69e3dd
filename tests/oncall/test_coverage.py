"""The times of the coming week when the desk is closed and nobody is on call (web/oncall/coverage.py): the
rota page lists them for staff and the web process exports their length (alert OncallRotaGap)."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import delete, select

from web.handoff.config import opening
from web.handoff.models import WorkingHours
from web.oncall import coverage, demo
from web.oncall.models import OncallShift, OncallWorker

pytestmark = pytest.mark.usefixtures("redis_client")
NOW = datetime(2026, 12, 7, 2, 0)  # naive UTC: Monday 10:00 in Shanghai, no public holiday in the week after


def office_hours(sess) -> None:
    """The desk open Monday to Friday, 09:00–17:00."""
    sess.execute(delete(WorkingHours))
    sess.add_all(WorkingHours(day=day, opens="09:00", closes="17:00") for day in ("mon", "tue", "wed", "thu", "fri"))


def test_the_demo_rota_leaves_no_time_uncovered(sessions):
    with sessions.begin() as sess:
        office_hours(sess)
    demo.seed(sessions)
    with sessions() as sess:
        assert coverage.gaps(sess, NOW, opening(sess)) == []


def test_a_missing_weekend_shift_is_one_gap_told_in_days_and_hours(sessions):
    with sessions.begin() as sess:
        office_hours(sess)
    demo.seed(sessions)
    with sessions.begin() as sess:
        worker = sess.scalars(select(OncallWorker).where(OncallWorker.name == "张敏")).one()
        sess.execute(delete(OncallShift).where(OncallShift.worker_id == worker.id, OncallShift.days == "sat"))
    with sessions() as sess:
        [gap] = coverage.gaps(sess, NOW, opening(sess))
    assert gap.describe() == "12月12日（周六）09:00 – 12月13日（周日）09:00" and gap.minutes == 24 * 60


def test_with_nobody_on_the_rota_every_evening_night_and_weekend_is_a_gap(sessions):
    with sessions.begin() as sess:
        office_hours(sess)
    with sessions() as sess:
        found = coverage.gaps(sess, NOW, opening(sess))
    assert found[0].describe() == "12月7日（周一）17:00 – 12月8日（周二）09:00"
    assert found[-1].describe() == "12月11日（周五）17:00 – 12月14日（周一）09:00"
    # the week from Monday 10:00: the desk is open 7 h that Monday, 8 h on four days and 1 h the next Monday
    assert len(found) == 5 and sum(gap.minutes for gap in found) == (7 * 24 - (7 + 4 * 8 + 1)) * 60


def test_the_rota_page_lists_the_gaps_and_the_web_process_counts_them(app, sessions, signed_in):
    with sessions.begin() as sess:
        office_hours(sess)
        worker = OncallWorker(name="王芳", phone="13800000001", role="值班社工")
        worker.shifts = [OncallShift(days="mon,tue,wed,thu,fri", starts="17:00", ends="09:00")]
        sess.add(worker)
    boss, _token = signed_in("boss")
    page = boss.get("/admin/oncall/").get_data(as_text=True)
    assert 'id="rota-gaps"' in page and "没有人值班" in page and "（周六）" in page
    scraped = app.test_client().get("/metrics").get_data(as_text=True)
    [line] = [line for line in scraped.splitlines() if line.startswith("oncall_uncovered_minutes ")]
    assert float(line.split()[1]) >= 24 * 60  # at least a weekend day
    with sessions.begin() as sess:
        sess.add(OncallShift(worker_id=worker.id, days="sat,sun,holiday", starts="09:00", ends="09:00"))
    assert 'id="rota-gaps"' not in boss.get("/admin/oncall/").get_data(as_text=True)
