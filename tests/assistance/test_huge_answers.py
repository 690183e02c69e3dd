"""Answers no resident means (400 digits, 1e999, a day at the calendar's end) are "not understood",
never an exception in the action server (security review, item 12). Found by a 400-digit answer
to the income question: ``float("1" * 400)`` is infinity and ``round`` of it raised OverflowError."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import actions.assistance  # noqa: F401  (registers the actions)
from actions import eldercare, executor, services
from actions.assistance import parsing, registry
from actions.marriage.common import date_in
from actions.tracker import Tracker
from tests.conftest import backoffice_test_client
from tests.eldercare.conftest import AUTH, TOKEN
from tests.in_process_backoffice import InProcessBackoffice

HUGE = ["1" * 400, "9" * 5000, "1" * 400 + "万", "1" * 200 + "." + "5" * 200, "九" * 1500, "1" * 14]


@pytest.fixture
def region(seeded_backoffice_url, monkeypatch):
    """The seeded back-office in-process: an answer that is no number is also read for a district said again,
    and without a back-office each answer would wait for the client's retries."""
    client = backoffice_test_client(seeded_backoffice_url, TOKEN, monkeypatch)
    monkeypatch.setattr(services, "backoffice", lambda: InProcessBackoffice(client, AUTH))
    registry._tree.cache_clear()
    yield
    registry._tree.cache_clear()


def validate(requested: str, text: str, entities: list[dict] | None = None) -> dict:
    tracker = Tracker.from_dict(
        {
            "sender_id": "web:t",
            "slots": {"requested_slot": requested},
            "latest_message": {"text": text, "intent": {"name": "inform"}, "entities": entities or []},
            "events": [],
            "active_loop": {"name": "assistance_check_form"},
        }
    )
    return executor.run("validate_assistance_check_form", tracker, {})


def slot_values(result: dict) -> dict:
    return {e["name"]: e["value"] for e in result["events"] if e["event"] == "slot"}


@pytest.mark.usefixtures("region")
@pytest.mark.parametrize("answer", HUGE)
@pytest.mark.parametrize(
    "slot", ["assistance_household_size", "assistance_monthly_income", "assistance_savings", "assistance_vehicles"]
)
def test_a_huge_number_is_not_understood_and_asked_again(slot, answer):
    result = validate(slot, answer)
    assert slot_values(result)[slot] is None
    assert result["responses"]  # the resident is told it was not understood


@pytest.mark.usefixtures("region")
def test_a_huge_medical_expense_is_no_amount():
    result = validate("assistance_circumstances", "家里有人大病，每月医药费" + "9" * 400 + "元")
    assert slot_values(result).get("assistance_medical_expenses") is None


@pytest.mark.parametrize("value", [float("inf"), float("nan"), 1e300, -5])
def test_an_entity_no_amount_can_be_is_ignored(value):
    assert parsing.amount("", [value]) is None
    assert parsing.count("", value) is None


def test_ordinary_answers_still_read():
    assert parsing.amount("一个月一共三千") == 3000
    assert parsing.amount("1.5万") == 15000
    assert parsing.amount("2000.75") == 2001
    assert parsing.count("三口人") == 3


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("0123456789.万千口人零一二两三四五六七八九十百 没有"), max_size=2000))
def test_reading_numbers_never_raises(text):
    found = parsing.numbers(text)
    assert all(0 <= n <= parsing.MAX_NUMBER for n in found)
    parsing.amount(text)
    parsing.count(text)
    parsing.vehicles(text)


@pytest.mark.parametrize("value", ["1e999", "nan", "-inf", "9" * 400, "181", None, "abc"])
def test_a_coordinate_that_is_no_place_is_none(value):
    assert eldercare._float(value) is None


def test_a_coordinate_reads():
    assert eldercare._float("31.23") == 31.23


@pytest.mark.parametrize("value", ["9999-12-31", "0001-01-01", "tomorrow", "2026-02-30"])
def test_a_date_entity_that_is_no_bookable_day_is_none(value):
    call = SimpleNamespace(entity=lambda name: value, text="")
    assert date_in(call) is None


def test_a_date_entity_reads():
    assert date_in(SimpleNamespace(entity=lambda name: "2027-05-20", text="")) == "2027-05-20"
