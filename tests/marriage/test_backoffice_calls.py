"""How many back-office calls one turn of the marriage form makes: the actions against the real back-office app
(in-process, through a counting client), one read per resource per action run."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

import pytest

import actions.marriage  # noqa: F401  (registers the actions)
from actions import executor, services
from actions.tracker import Tracker
from backoffice.marriage import calendar
from common.backoffice_client import BackofficeError
from tests.marriage.conftest import AUTH, Backoffice
from tests.marriage.people import couple
from tests.marriage.test_booking_rules import body, past_divorce_application


class CountingBackoffice:
    """The BackofficeClient interface over the back-office's Flask test client, counting what is sent."""

    def __init__(self, client) -> None:
        self.client = client
        self.calls: list[tuple[str, str]] = []

    def _reply(self, resp) -> dict[str, Any]:
        if resp.status_code >= 400:
            raise BackofficeError(resp.status_code, resp.json["error"], resp.json["message"])
        return resp.json

    def get(self, path: str, **params: Any) -> dict[str, Any]:
        self.calls.append(("GET", path))
        return self._reply(self.client.get(path, query_string=params, headers=AUTH))

    def post(self, path: str, body: dict, idempotency_key: str | None = None) -> dict[str, Any]:
        self.calls.append(("POST", path))
        headers = {**AUTH, **({"Idempotency-Key": idempotency_key} if idempotency_key else {})}
        return self._reply(self.client.post(path, json=body, headers=headers))


@pytest.fixture
def counting(backoffice: Backoffice, monkeypatch) -> CountingBackoffice:
    client = CountingBackoffice(backoffice.client)
    monkeypatch.setattr(services, "client", lambda: client)
    return client


def confirm(slots: dict[str, Any]) -> dict:
    """The resident answers 确认 to the read-back."""
    tracker = Tracker.from_dict(
        {
            "sender_id": "web:calls",
            "slots": {**slots, "requested_slot": "marriage_confirmed"},
            "latest_message": {"text": "确认", "intent": {"name": "affirm"}, "entities": []},
            "events": [{"event": "user", "text": "确认"}],
            "active_loop": {"name": "marriage_booking_form"},
        }
    )
    return executor.run("validate_marriage_booking_form", tracker, {})


def people(pair) -> dict[str, str]:
    return {
        "marriage_party1_name": pair[0].name,
        "marriage_party1_id": pair[0].id_number,
        "marriage_party2_name": pair[1].name,
        "marriage_party2_id": pair[1].id_number,
    }


def confirmed(result: dict) -> bool:
    slots = {e["name"]: e["value"] for e in result["events"] if e["event"] == "slot"}
    return slots.get("marriage_confirmed") is True and slots["requested_slot"] is None and not result["responses"]


def test_confirming_a_marriage_booking_reads_each_resource_once(backoffice, counting):
    day = backoffice.open_days()[0]
    result = confirm(
        {
            "marriage_type": "结婚",
            "marriage_office": "PT-MR-01",
            "marriage_date": day["date"],
            "marriage_slot": day["slots"][0]["start"],
            "marriage_phone": "13800138000",
            **people(couple()),
        }
    )
    assert confirmed(result)
    assert Counter(counting.calls) == {
        ("GET", "/offices"): 1,
        ("GET", "/offices/PT-MR-01/availability"): 1,
        ("POST", "/marriage/legal-age"): 1,
    }  # the issue counted 6 (4× GET /offices)


def test_confirming_a_divorce_certificate_asks_for_the_window_once(backoffice, counting):
    pair = couple()
    past_divorce_application(backoffice, pair, days_ago=40, openid="web:calls-div")
    backoffice.verify("web:calls", pair[0])  # the window is told only to a verified party
    first = (calendar.today() - timedelta(days=40) + timedelta(days=31)).isoformat()
    day = next(d for d in backoffice.open_days(days=40) if d["date"] >= first)
    result = confirm(
        {
            "marriage_type": "离婚",
            "marriage_divorce_stage": "领证",
            "marriage_office": "PT-MR-01",
            "marriage_date": day["date"],
            "marriage_slot": day["slots"][0]["start"],
            "marriage_phone": "13800138000",
            **people(pair),
        }
    )
    assert confirmed(result)
    assert Counter(counting.calls) == {
        ("GET", "/offices"): 1,
        ("GET", "/offices/PT-MR-01/availability"): 1,
        ("POST", "/marriage/divorce-window"): 1,
    }  # the issue counted 10 (4× the window)


def test_a_run_forgets_its_reads_after_a_write(backoffice, counting):
    pair = couple()
    day = backoffice.open_days()[1]
    backoffice.verify("web:calls-write", pair[0])
    cache = services.RunCache(lambda: counting)
    cache.get("/offices")
    cache.get("/offices")
    cache.post("/marriage/appointments", body(pair, day["date"], "web:calls-write"), idempotency_key="calls-write-1")
    cache.get("/offices")
    assert counting.calls == [("GET", "/offices"), ("POST", "/marriage/appointments"), ("GET", "/offices")]
