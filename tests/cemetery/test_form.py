"""The cemetery forms turn by turn: the actions against the real back-office app (in-process, SQLite and
PostgreSQL), as Rasa would call them, without the NLU: each message comes with the intent the model gives it."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest

import actions.cemetery  # noqa: F401  (registers the actions)
from actions import executor, services
from actions.tracker import Tracker
from backoffice.cemetery import schedule
from tests.cemetery.conftest import AUTH, Backoffice, season_days
from tests.cemetery.test_gate_check_in import booked_today, issue, press
from tests.in_process_backoffice import InProcessBackoffice


class Chat:
    """One conversation with a form: the slots and events as Rasa would keep them."""

    def __init__(self, sender: str, form: str) -> None:
        self.sender, self.form = sender, form
        self.slots: dict[str, Any] = {}
        self.events: list[dict] = []

    def say(self, text: str, intent: str = "nlu_fallback") -> list[dict]:
        self.events.append({"event": "user", "text": text})
        tracker = Tracker.from_dict(
            {
                "sender_id": self.sender,
                "slots": dict(self.slots),
                "latest_message": {"text": text, "intent": {"name": intent}, "entities": []},
                "events": list(self.events),
                "active_loop": {"name": self.form},
            }
        )
        result = executor.run(f"validate_{self.form}", tracker, {})
        self._apply(result["events"])
        return result["responses"]

    def submit(self, action: str) -> list[dict]:
        tracker = Tracker.from_dict({"sender_id": self.sender, "slots": dict(self.slots), "events": self.events})
        result = executor.run(action, tracker, {})
        self._apply(result["events"])
        return result["responses"]

    def _apply(self, events: list[dict]) -> None:
        for e in events:
            self.events.append(e)
            if e["event"] == "slot":
                self.slots[e["name"]] = e["value"]


@pytest.fixture
def in_process(backoffice: Backoffice, monkeypatch) -> Backoffice:
    monkeypatch.setattr(services, "client", lambda: InProcessBackoffice(backoffice.client, AUTH))
    return backoffice


def said(responses: list[dict]) -> list[str]:
    return [r["response"] or r["text"] for r in responses]


def test_a_resident_books_the_festival_day_picking_by_number_and_words(in_process):
    for day in season_days():
        in_process.open_day(day)
    in_process.resident("o-form-book")
    chat = Chat("o-form-book", "cemetery_booking_form")
    asked = chat.say("帮我预约扫墓", "cemetery_book")
    assert said(asked) == ["utter_cemetery_ask_site"] and asked[0]["buttons"][0]["payload"] == "宝山区罗店公墓"
    asked = chat.say("长风骨灰堂")
    assert said(asked) == ["utter_cemetery_ask_date"]
    first_day = asked[0]["buttons"][0]["payload"]
    asked = chat.say(first_day)
    assert said(asked) == ["utter_cemetery_ask_companions"] and asked[0]["limit"] == 3
    asked = chat.say("带两个")
    assert said(asked) == ["utter_cemetery_ask_slot"] and "还有" in asked[0]["buttons"][0]["title"]
    asked = chat.say("下午")
    assert said(asked) == ["utter_cemetery_ask_confirm"] and "共3人（您本人和2位同行的人）" in asked[0]["summary"]
    assert "正门 12:00-14:00" in asked[0]["summary"]
    chat.say("确认", "affirm")
    assert chat.slots["requested_slot"] is None
    done = chat.submit("action_cemetery_submit")
    assert said(done) == ["utter_cemetery_booked"] and done[0]["number"].startswith("JS")
    assert "/cemetery/gate/" in done[0]["gate_url"]
    assert [b["number"] for b in in_process.mine("o-form-book")["bookings"]] == [done[0]["number"]]


def test_a_full_day_offers_other_days_and_the_waiting_list(in_process):
    day = season_days()[6]
    in_process.open_day(day)
    in_process.shrink("CEM-PT-01", day, 1)
    for i, start in enumerate(["08:00", "10:00", "12:00", "14:00"]):
        in_process.resident(f"o-form-full-{i}")
        assert in_process.book(f"o-form-full-{i}", day, "CEM-PT-01-M", start).status_code == 201
    in_process.resident("o-form-late")
    chat = Chat("o-form-late", "cemetery_booking_form")
    chat.say("预约祭扫", "cemetery_book")
    chat.say("长风骨灰堂")
    chat.say(day.isoformat())
    asked = chat.say("就我一个")
    assert said(asked) == ["utter_cemetery_day_full"]
    payloads = [b["payload"] for b in asked[0]["buttons"]]
    assert payloads[-1] == "候补" and day.isoformat() not in payloads and len(payloads) > 1
    asked = chat.say("候补")
    assert said(asked) == ["utter_cemetery_ask_waitlist_confirm"]
    chat.say("好的", "affirm")
    done = chat.submit("action_cemetery_submit")
    assert said(done) == ["utter_cemetery_waitlisted"] and done[0]["position"] == 1
    number = in_process.mine("o-form-full-0")["bookings"][0]["number"]
    cancel = Chat("o-form-full-0", "cemetery_cancel_form")
    asked = cancel.say("扫墓不去了", "cemetery_cancel")
    assert said(asked) == ["utter_cemetery_ask_cancel_confirm"] and number in asked[0]["listing"]
    cancel.say("确定取消", "affirm")
    assert said(cancel.submit("action_cemetery_cancel_submit")) == ["utter_cemetery_cancelled"]
    assert in_process.mine("o-form-late")["bookings"][0]["from_waitlist"] is True


def test_an_unverified_resident_is_asked_to_verify_first(in_process):
    chat = Chat("o-form-nobody", "cemetery_booking_form")
    asked = chat.say("预约祭扫", "cemetery_book")
    assert asked[0]["custom"]["identity"]["resume"] == "/cemetery_book"
    assert chat.slots["requested_slot"] is None


def test_a_question_taken_for_a_booking_is_answered_from_the_handbook(in_process):
    chat = Chat("o-form-asks", "cemetery_booking_form")
    asked = chat.say("清明节去扫墓是不是要先预约啊", "cemetery_book")
    text = "\n".join(r["text"] or "" for r in asked)
    assert "清明、冬至祭扫要先预约" in text and "预约祭扫" in text
    assert chat.slots["requested_slot"] is None  # the form ended: nothing is being booked


def test_a_cemetery_said_by_its_short_name_and_a_move_to_the_afternoon(in_process):
    """ "长风那个" names 普陀区长风骨灰堂; moving a booking, "下午" picks the afternoon as it does when booking."""
    days = season_days()
    for day in days:
        in_process.open_day(day)
    in_process.resident("o-form-short")
    chat = Chat("o-form-short", "cemetery_booking_form")
    chat.say("帮我预约扫墓", "cemetery_book")
    asked = chat.say("老头子那边")
    assert said(asked) == ["utter_cemetery_ask_site_again"] and asked[0]["examples"] == "“罗店”“月浦”“长风”"
    assert len(asked[0]["buttons"]) == 3
    asked = chat.say("冬至")  # missed twice: the cemeteries offered again, with a person, not a person alone
    assert said(asked) == ["utter_cemetery_site_another_way"]
    assert [b["payload"] for b in asked[0]["buttons"]][-2:] == ["普陀区长风骨灰堂", "/human_handoff"]
    asked = chat.say("长风那个")
    assert said(asked) == ["utter_cemetery_ask_date"] and asked[0]["site_name"] == "普陀区长风骨灰堂"
    season = schedule.upcoming(days[0]).name  # the examples are this season's: no "清明那天" in December
    offered = [date.fromisoformat(b["payload"]) for b in asked[0]["buttons"]]
    assert asked[0]["festival"] == season and asked[0]["example"] in [f"{d.month}月{d.day}号" for d in offered]
    chat.say(days[1].isoformat())
    chat.say("就我一个")
    asked = chat.say("上午")
    assert "正门 08:00-10:00" in asked[0]["summary"]
    chat.say("确认", "affirm")
    number = chat.submit("action_cemetery_submit")[0]["number"]
    move = Chat("o-form-short", "cemetery_reschedule_form")
    asked = move.say("我要改扫墓预约", "cemetery_reschedule")
    assert said(asked) == ["utter_cemetery_ask_date"]
    asked = move.say(days[2].isoformat())
    assert said(asked) == ["utter_cemetery_ask_slot"]
    asked = move.say("下午")
    assert said(asked) == ["utter_cemetery_ask_reschedule_confirm"]
    assert asked[0]["number"] == number and asked[0]["start"] == "12:00"


def test_a_look_up_taken_for_a_booking_lists_the_residents_bookings(in_process):
    """ "我的扫墓预约" read as cemetery_book: the bookings are listed, no booking starts."""
    day = season_days()[3]
    in_process.open_day(day)
    in_process.resident("o-form-lookup")
    assert in_process.book("o-form-lookup", day, "CEM-PT-01-M", "08:00").status_code == 201
    chat = Chat("o-form-lookup", "cemetery_booking_form")
    asked = chat.say("我的扫墓预约", "cemetery_book")
    assert said(asked) == ["utter_cemetery_my_bookings"] and "普陀区长风骨灰堂" in asked[0]["listing"]
    assert chat.slots["requested_slot"] is None


def test_a_booking_checked_in_at_the_gate_is_still_listed_that_day_as_checked_in(in_process):
    """查扫墓预约 after going in: the booking is there, marked 已入园 with when, without a gate link to use again."""
    booking = booked_today(in_process, "o-form-in", 0)
    status, _ = press(in_process, booking, issue(in_process, "张师傅")["code"])
    assert status == 200
    listed = Chat("o-form-in", "").submit("action_cemetery_my_bookings")
    assert said(listed) == ["utter_cemetery_my_bookings"]
    text = listed[0]["listing"]
    assert booking["number"] in text and "已入园" in text and "在门口核验过了" in text
    assert re.search(r"已入园（\d+月\d+日（周.）\d\d:\d\d在门口核验过了）", text)
    assert "入园码" not in text  # nothing to show at the gate again
