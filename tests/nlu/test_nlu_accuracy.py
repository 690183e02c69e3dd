"""Regression guard: the model `make test` trained still understands the held-out set.

The held-out utterances (bot/tests/nlu_eval.yml) are never used for training; the
issue's target is 0.95, this guard fails below 0.90 so that ordinary run-to-run
spread (about ±1 %) does not make it flaky while a real regression does.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.nlu_eval import DEFAULT_EVAL, evaluate

pytestmark = pytest.mark.stack


def test_intent_accuracy_on_the_held_out_set_stays_above_the_guard(live_stack):
    report = evaluate(live_stack.url("rasa"), Path(DEFAULT_EVAL), live_stack.env["RASA_TOKEN"])
    assert report.n >= 200
    assert report.intent_accuracy >= 0.90, report.format()


def test_every_contract_intent_is_in_the_held_out_set():
    import yaml

    contract_doc = (Path(__file__).resolve().parents[2] / "docs" / "INTENTS.md").read_text()
    intent_table = contract_doc.split("## Entities")[0]
    names = {line.split("|")[1].strip() for line in intent_table.splitlines() if line.startswith("| ")} - {
        "intent",
        "---",
    }
    intents = {item["intent"] for item in yaml.safe_load(DEFAULT_EVAL.read_text())["nlu"] if "intent" in item}
    assert len(names) >= 34
    assert names - {"faq"} - intents == set()
