"""The analytics figures against a hand-computed fixture (conftest.load_fixture), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest

from tests.analytics.conftest import D1, D2, D3, load_fixture
from web.analytics import queries

ALL = queries.Filters(date.fromisoformat(D1), date.fromisoformat(D3))
PUTUO = queries.Filters(date.fromisoformat(D1), date.fromisoformat(D3), "普陀区")


@pytest.fixture
def sess(sessions):
    load_fixture(sessions)
    with sessions() as s:
        yield s


def test_conversations_per_day_count_resident_days_and_fill_empty_days(sess):
    assert queries.conversations_per_day(sess, ALL) == [(D1, 2), (D2, 2), (D3, 0)]


def test_containment_and_handoff_rate(sess):
    assert queries.containment(sess, ALL) == {
        "conversations": 4,
        "handed_over": 2,
        "contained": 2,
        "containment_rate": 0.5,
        "handoff_rate": 0.5,
    }


def test_handoff_reasons(sess):
    assert queries.handoff_reasons(sess, ALL) == [("complaint", 1), ("resident_request", 1)]


def test_fallback_rate(sess):
    assert queries.fallback(sess, ALL) == {"messages": 7, "fallbacks": 1, "fallback_rate": round(1 / 7, 4)}


def test_top_intents_with_mean_confidence(sess):
    assert queries.top_intents(sess, ALL) == [
        ("marriage_book", 4, 0.7),
        ("complain", 1, 0.9),
        ("greet", 1, 0.95),
        ("human_handoff", 1, 0.97),
    ]


def test_task_completion_and_where_residents_drop_out(sess):
    assert queries.task_completion(sess, ALL) == [
        {
            "flow": "marriage_form",
            "started": 3,
            "completed": 1,
            "abandoned": 1,
            "unfinished": 1,
            "completion_rate": round(1 / 3, 4),
            "steps": [("marriage_date", 2), ("marriage_type", 1)],
        }
    ]


def test_rating_distribution_lists_every_level(sess):
    assert queries.ratings(sess, ALL) == [
        ("非常满意", 1),
        ("满意", 0),
        ("基本满意", 0),
        ("不满意", 1),
        ("非常不满意", 0),
    ]


def test_median_time_to_first_agent_reply(sess):
    assert queries.first_agent_reply_seconds(sess, ALL) == [120.0, 600.0]
    assert queries.median_first_agent_reply(sess, ALL) == 360.0


def test_district_filter_keeps_the_conversations_of_that_district(sess):
    assert queries.conversations_per_day(sess, PUTUO) == [(D1, 1), (D2, 0), (D3, 0)]
    assert queries.containment(sess, PUTUO)["containment_rate"] == 1.0
    assert queries.fallback(sess, PUTUO) == {"messages": 3, "fallbacks": 1, "fallback_rate": round(1 / 3, 4)}
    assert queries.ratings(sess, PUTUO)[0] == ("非常满意", 1)
    assert queries.median_first_agent_reply(sess, PUTUO) is None
    assert queries.districts(sess) == ["宝山区", "普陀区"]


def test_an_empty_range_gives_no_rates(sess):
    empty = queries.Filters(date(2025, 1, 1), date(2025, 1, 2))
    assert queries.containment(sess, empty)["containment_rate"] is None
    assert queries.fallback(sess, empty)["fallback_rate"] is None
