"""The application's read-back (actions/benefits/funeral.py) as the resident reads it: the form's last
question, asked by the action against the real back-office in-process (no Rasa)."""

from __future__ import annotations

from datetime import date, timedelta

import actions.benefits  # noqa: F401  (registers the actions)
from actions import executor
from actions.tracker import Tracker
from common.dates import full_date
from tests.benefits_api import ME

DECEASED = "310107194001011012"


def test_the_read_back_says_the_day_of_death_as_residents_write_it(actions_backoffice):
    died = date.today() - timedelta(days=3)
    slots = {
        "funeral_kind": "eco_burial",
        "funeral_hukou": "普陀区",
        "funeral_burial": "海葬",
        "funeral_deceased_name": "王秀英",
        "funeral_deceased_id": DECEASED,
        "funeral_death_date": died.isoformat(),
        "requested_slot": "funeral_relation",
    }
    tracker = Tracker.from_dict(
        {
            "sender_id": ME,
            "slots": slots,
            "latest_message": {"text": "我妈", "intent": {"name": "nlu_fallback"}, "entities": []},
            "events": [{"event": "user", "text": "我妈"}],
            "active_loop": {"name": "funeral_apply_form"},
        }
    )
    result = executor.run("validate_funeral_apply_form", tracker, {})
    (read_back,) = [r for r in result["responses"] if r["response"] == "utter_funeral_read_back"]
    assert read_back["death_date"] == f"{died.year}年{died.month}月{died.day}日" == full_date(died)
    assert died.isoformat() not in str(read_back)
