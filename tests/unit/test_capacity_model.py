"""bench/capacity.py's model: the arithmetic that turns the measured inputs into pods."""

from __future__ import annotations

import math

import pytest

from bench.capacity import Assumptions, ordinary_rate, pods, statement_kind, table, wave_rate

INPUTS = {
    "pg": {"commits": 1.0, "rows_written": 4.0},
    "live": {
        "wechat": {
            "cpu_ms_rasa": 50.0,
            "cpu_ms_web": 20.0,
            "cpu_ms_actions": 5.0,
            "cpu_ms_backoffice": 4.0,
            "redis_commands_per_msg": 30.0,
            "redis_kb_per_msg": 40.0,
        }
    },
    "push_per_worker": 40.0,
}


def test_an_ordinary_hour_is_followers_who_write_times_their_messages_in_the_busiest_hour():
    a = Assumptions(followers=0.5, daily_writers=0.02, turns=5, busiest_hour=0.1)
    assert ordinary_rate(3_600_000, a) == pytest.approx(3_600_000 * 0.5 * 0.02 * 5 * 0.1 / 3600)


def test_a_slow_push_tops_at_its_rate_times_the_replies_a_fast_one_below_that():
    a = Assumptions(pushed=250_000, reply_rate=0.1, turns=6, reply_median_min=15)
    assert wave_rate(1, a) == pytest.approx(1 * 0.1 * 6)  # sent over 70 hours: the wave is steady
    tau = 15 * 60 / math.log(2)
    assert wave_rate(250_000 / tau, a) == pytest.approx(250_000 / tau * 0.1 * 6 * (1 - math.exp(-1)))
    assert wave_rate(300, a) < 300 * 0.1 * 6


def test_pods_follow_the_cpu_per_message_and_never_fall_below_two():
    a = Assumptions()
    quiet = pods(0.1, INPUTS, a, 0.0)
    assert {quiet[k] for k in ("rasa", "web", "actions", "backoffice", "worker")} == {2}
    busy = pods(120.0, INPUTS, a, 400.0)
    assert busy["rasa"] == math.ceil(120 * 0.050 / a.rasa_utilisation)  # 10
    assert busy["web"] == math.ceil(120 * 0.020 / (a.web_cores * a.utilisation))
    assert busy["worker"] == 10  # 400 pushes/s at 40 per worker
    assert busy["pg_commits_s"] == pytest.approx(120 + 2 * 400) and busy["redis_mb_s"] == pytest.approx(4.8)


def test_the_table_has_a_row_per_place_and_push_rate_and_the_city_wide_push():
    rows = table(INPUTS, Assumptions(), (20.0, 300.0))
    assert len(rows) == 2 + 2 * 3 + 1 and rows[-1].startswith("| Shanghai: 16 districts push at 20/s")


def test_statements_are_counted_by_their_first_word():
    assert [statement_kind(s) for s in (" INSERT INTO m", "update c", "DELETE", "SELECT 1", "SET LOCAL x")] == [
        "INSERT",
        "UPDATE",
        "DELETE",
        "SELECT",
        "OTHER",
    ]
