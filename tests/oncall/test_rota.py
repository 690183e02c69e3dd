"""Who is on call at a moment: shifts across midnight, weekends, public holidays and 调休, the
escalation list behind them, and the demo rota covering every hour the desk is closed."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from web.handoff import config
from web.oncall import demo, rota
from web.oncall.models import OncallShift, OncallWorker
from web.workdays import LOCAL

WEEKNIGHTS = ("mon,tue,wed,thu,fri", "17:00", "09:00")


def local(day: str, hhmm: str) -> datetime:
    """A local moment in Shanghai (the rota is read in local time)."""
    return datetime.fromisoformat(f"{day}T{hhmm}").replace(tzinfo=LOCAL)


def utc(day: str, hhmm: str) -> datetime:
    """The same moment as the platform stores it: naive UTC."""
    return local(day, hhmm).astimezone(timezone.utc).replace(tzinfo=None)


@pytest.mark.parametrize(
    "moment,expected",
    [
        (("2026-12-02", "16:59"), False),  # Wednesday, still the desk's day
        (("2026-12-02", "17:00"), True),  # Wednesday evening: the shift starts
        (("2026-12-02", "23:59"), True),
        (("2026-12-03", "03:00"), True),  # Thursday night: Wednesday's shift, past midnight
        (("2026-12-03", "08:59"), True),
        (("2026-12-03", "09:00"), False),  # the shift has ended
        (("2026-12-05", "03:00"), True),  # Saturday 03:00: Friday's shift runs into the weekend morning
        (("2026-12-05", "12:00"), False),  # Saturday noon: no weeknight shift
        (("2026-12-07", "03:00"), False),  # Monday 03:00: Sunday had no shift
    ],
)
def test_a_weeknight_shift_runs_past_midnight_into_the_next_morning(moment, expected):
    assert rota.covers(WEEKNIGHTS[0].split(","), WEEKNIGHTS[1], WEEKNIGHTS[2], local(*moment)) is expected


def test_a_shift_whose_end_equals_its_start_lasts_24_hours_and_24_00_is_midnight():
    days = ["sat"]
    assert rota.covers(days, "09:00", "09:00", local("2026-12-05", "09:00"))
    assert rota.covers(days, "09:00", "09:00", local("2026-12-06", "08:59"))  # Sunday morning, still Saturday's
    assert not rota.covers(days, "09:00", "09:00", local("2026-12-06", "09:00"))
    assert rota.covers(["sun"], "00:00", "24:00", local("2026-12-06", "23:59"))
    assert not rota.covers(["sun"], "00:00", "24:00", local("2026-12-07", "00:00"))


def test_on_a_public_holiday_only_holiday_shifts_start():
    national_day = "2026-10-01"  # a Thursday, and 国庆节
    assert not rota.covers(["thu"], "17:00", "09:00", local(national_day, "20:00"))
    assert rota.covers(["holiday"], "17:00", "09:00", local(national_day, "20:00"))
    assert rota.covers(["holiday"], "17:00", "09:00", local("2026-10-02", "03:00"))  # the night after, too
    # the evening before the holiday belongs to the weekday's shift, into the holiday's morning
    assert rota.covers(["wed"], "17:00", "09:00", local(national_day, "08:00"))


def test_a_weekend_working_day_counts_as_a_monday():
    tiaoxiu = date(2026, 10, 10)  # a Saturday worked instead of a National Day holiday
    assert tiaoxiu.weekday() == 5
    assert rota.covers(["mon"], "17:00", "09:00", local(tiaoxiu.isoformat(), "20:00"))
    assert not rota.covers(["sat"], "17:00", "09:00", local(tiaoxiu.isoformat(), "20:00"))


def test_who_is_on_call_is_read_from_the_rota_with_the_escalation_list_behind(sessions):
    with sessions.begin() as sess:
        night = OncallWorker(name="王芳", phone="13800000001", role="值班社工")
        night.shifts = [OncallShift(days="mon,tue,wed,thu,fri", starts="17:00", ends="09:00")]
        weekend = OncallWorker(name="赵磊", phone="13800000004", role="值班社工")
        weekend.shifts = [OncallShift(days="sat,sun,holiday", starts="09:00", ends="09:00")]
        chief = OncallWorker(name="陈静", phone="13800000005", role="值班科长", escalation_rank=1)
        deputy = OncallWorker(name="刘建国", phone="13800000006", role="分管副局长", escalation_rank=2)
        sess.add_all([night, weekend, deputy, chief])
    with sessions() as sess:
        friday_night = utc("2026-12-05", "02:00")  # Saturday 02:00: Friday's night shift
        assert [w.name for w in rota.on_call(sess, friday_night)] == ["王芳"]
        assert [t.name for t in rota.chain(sess, friday_night)] == ["王芳", "陈静", "刘建国"]
        saturday_noon = utc("2026-12-05", "12:00")
        assert [t.name for t in rota.chain(sess, saturday_noon)] == ["赵磊", "陈静", "刘建国"]
        assert rota.chain(sess, saturday_noon)[0].phone == "13800000004"
        sunday_night = utc("2026-12-07", "03:00")  # Monday 03:00: the weekend's 24-hour Sunday shift
        assert [w.name for w in rota.on_call(sess, sunday_night)] == ["赵磊"]
        wednesday_noon = utc("2026-12-02", "12:00")  # the desk's hours: nobody on call, no chain
        assert rota.on_call(sess, wednesday_noon) == [] and rota.chain(sess, wednesday_noon) == []


def test_the_chain_names_each_person_once(sessions):
    with sessions.begin() as sess:
        chief = OncallWorker(name="陈静", phone="13800000005", role="值班科长", escalation_rank=1)
        chief.shifts = [OncallShift(days="sun", starts="00:00", ends="24:00")]
        sess.add(chief)
    with sessions() as sess:
        assert [t.name for t in rota.chain(sess, utc("2026-12-06", "12:00"))] == ["陈静"]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # a walk through a year: one dialect is enough
def test_the_demo_rota_covers_every_hour_the_desk_is_closed_in_a_year(sessions, monkeypatch):
    assert "6 people" in demo.seed(sessions)
    assert demo.seed(sessions).startswith("kept")  # written once: an administrator's changes stay
    with sessions() as sess:
        hours = config.hours_table(sess)  # read once: the desk's own is_open judges each hour
        monkeypatch.setattr(config, "hours_table", lambda _sess: hours)
        shifts = [(s.day_list, s.starts, s.ends) for s in sess.query(OncallShift)]
        moment, end, uncovered = utc("2026-01-01", "00:00"), utc("2027-01-01", "00:00"), []
        while moment < end:
            if not config.is_open(sess, moment):  # the migration's hours: Mon–Fri 09:00–17:00
                at = config.to_local(moment)
                if not any(rota.covers(days, starts, ends, at) for days, starts, ends in shifts):
                    uncovered.append(at)
            moment += timedelta(hours=1)  # every shift and working day starts and ends on the hour
        assert uncovered == []
        assert len(rota.escalation_list(sess)) == 2


def test_shifts_are_described_for_staff():
    shift = OncallShift(days="mon,wed", starts="17:00", ends="09:00")
    assert rota.describe(shift) == "周一、周三 17:00–次日 09:00"
    assert (
        rota.describe(OncallShift(days="sun,holiday", starts="09:00", ends="09:00"))
        == "周日、法定节假日 09:00起 24 小时"
    )
    assert rota.describe(OncallShift(days="sat", starts="00:00", ends="24:00")) == "周六 00:00–24:00"
