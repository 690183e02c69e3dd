"""Moving a visit booking as residents say it (actions/cemetery/manage.py): a time alone keeps the day, and
"取消扫墓预约" in the middle of a move cancels instead, after the usual confirmation. The forms run against the real
back-office app, each message with the intent the model gives it (tests/cemetery/test_form.py's harness)."""

from __future__ import annotations

import pytest

from actions import services
from tests.cemetery.conftest import AUTH, Backoffice, season_days
from tests.cemetery.test_form import Chat, said
from tests.in_process_backoffice import InProcessBackoffice


@pytest.fixture
def office(backoffice: Backoffice, monkeypatch) -> Backoffice:
    """The actions talk to the back-office app in this process."""
    monkeypatch.setattr(services, "client", lambda: InProcessBackoffice(backoffice.client, AUTH))
    return backoffice


def test_a_time_alone_moves_the_only_booking_within_its_day(office):
    """ "改到下午" right after the look-up (the NLU reads it as a marriage move; the rule sends it here)."""
    day = season_days()[2]
    office.open_day(day)
    office.resident("o-move-afternoon")
    assert office.book("o-move-afternoon", day, "CEM-PT-01-M", "08:00").status_code == 201
    move = Chat("o-move-afternoon", "cemetery_reschedule_form")
    asked = move.say("改到下午", "marriage_reschedule")
    assert said(asked) == ["utter_cemetery_ask_reschedule_confirm"]
    assert asked[0]["start"] == "12:00" and move.slots["cemetery_date"] == day.isoformat()
    move.say("确认", "affirm")
    done = move.submit("action_cemetery_reschedule_submit")
    assert said(done) == ["utter_cemetery_rescheduled"] and done[0]["start"] == "12:00"
    [booking] = office.mine("o-move-afternoon")["bookings"]
    assert booking["start"] == "12:00" and booking["date"] == day.isoformat()


def test_cancelling_in_the_middle_of_a_move_leaves_it_and_asks_to_confirm(office):
    day = season_days()[3]
    office.open_day(day)
    office.resident("o-move-cancel")
    assert office.book("o-move-cancel", day, "CEM-PT-01-M", "08:00").status_code == 201
    number = office.mine("o-move-cancel")["bookings"][0]["number"]
    move = Chat("o-move-cancel", "cemetery_reschedule_form")
    assert said(move.say("扫墓的时间我想改一下", "cemetery_reschedule")) == ["utter_cemetery_ask_date"]
    asked = move.say("取消扫墓预约", "cemetery_cancel")
    assert asked == [] and move.slots["requested_slot"] is None and move.slots["cemetery_booking"] == number
    assert any(e["event"] == "active_loop" and e["name"] is None for e in move.events)  # the move has ended
    assert (move.events[-1]["event"], move.events[-1]["name"]) == ("followup", "cemetery_cancel_form")
    cancel = Chat("o-move-cancel", "cemetery_cancel_form")  # Rasa runs the follow-up on the same message
    cancel.slots, cancel.events = dict(move.slots), move.events[:-1]
    asked = cancel.say("取消扫墓预约", "cemetery_cancel")
    assert said(asked) == ["utter_cemetery_ask_cancel_confirm"] and number in asked[0]["listing"]
    assert office.mine("o-move-cancel")["bookings"]  # nothing cancelled before the yes
    cancel.say("确定取消", "affirm")
    assert said(cancel.submit("action_cemetery_cancel_submit")) == ["utter_cemetery_cancelled"]
    assert not office.mine("o-move-cancel")["bookings"]


def test_cancelling_at_the_move_read_back_still_asks_to_confirm(office):
    """At "确定吗？" of the move, "取消扫墓预约" is neither a yes to the move nor, unasked, a yes to cancelling."""
    day = season_days()[4]
    office.open_day(day)
    office.resident("o-move-cancel-late")
    assert office.book("o-move-cancel-late", day, "CEM-PT-01-M", "08:00").status_code == 201
    move = Chat("o-move-cancel-late", "cemetery_reschedule_form")
    assert said(move.say("扫墓改到下午", "cemetery_reschedule")) == ["utter_cemetery_ask_reschedule_confirm"]
    move.say("取消扫墓预约", "cemetery_cancel")
    cancel = Chat("o-move-cancel-late", "cemetery_cancel_form")
    cancel.slots, cancel.events = dict(move.slots), move.events[:-1]
    asked = cancel.say("取消扫墓预约", "cemetery_cancel")
    assert said(asked) == ["utter_cemetery_ask_cancel_confirm"]
    assert office.mine("o-move-cancel-late")["bookings"][0]["start"] == "08:00"
