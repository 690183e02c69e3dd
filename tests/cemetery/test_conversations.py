"""Cemetery visit booking through the live stack (real back-office, actions, Rasa and web): the conversations of
tests/conversations/data/cemetery.yml, run in any season: the next season's days are announced open first (staff's
``PUT /cemetery/openings/{day}``), so their ``until`` day does not apply here."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
import requests

from backoffice.cemetery import schedule
from backoffice.marriage.calendar import today
from tools.conversations.run import run
from tools.conversations.spec import load

pytestmark = pytest.mark.stack


def announce_the_season(live_stack) -> None:
    headers = {"Authorization": f"Bearer {live_stack.env['BACKOFFICE_TOKEN']}"}
    for day in schedule.upcoming(today()).days():
        resp = requests.put(
            f"{live_stack.url('backoffice')}/cemetery/openings/{day}",
            json={"opens_at": "2020-01-01T10:00"},
            headers=headers,
            timeout=30,
        )
        assert resp.status_code == 200, resp.text


@pytest.mark.timeout(3600)
def test_a_resident_books_looks_up_and_cancels_a_visit_in_chat(live_stack):
    announce_the_season(live_stack)
    conversations = [replace(c, until=None) for c in load() if c.flow == "cemetery"]
    results = run(live_stack, conversations, 3)
    failed = {r.conv.id: (r.verdict, r.error, [(t.said, t.replies) for t in r.turns]) for r in results if not r.ok}
    assert not failed, failed


@pytest.mark.timeout(600)
def test_the_visit_just_looked_up_is_moved_to_the_afternoon_of_its_day(live_stack):
    """ "改到下午" after "我约的扫墓是哪天": the NLU reads a marriage move; the visit shown is moved, same day, afternoon."""
    announce_the_season(live_stack)
    [conversation] = [replace(c, until=None) for c in load() if c.id == "cemetery-look-up-then-move-to-the-afternoon"]
    [result] = run(live_stack, [conversation], 1)
    assert result.ok, (result.verdict, result.error, [(t.said, t.replies) for t in result.turns])
    booked = next(r for t in result.turns for r in t.replies if r.startswith("预约成功"))
    moved = next(r for t in result.turns for r in t.replies if r.startswith("改好了"))
    day = re.search(r"\d+月\d+日", booked)
    assert day and day.group(0) in moved and re.search(r" 1[2-7]:\d\d-", moved), (booked, moved)
