"""Which place a resident's words name, on the region the back-office is seeded with (backoffice/seed/region.yaml):
the most specific one, a residents' committee inside the street named before the street itself; a street alone
gets its committees to pick from, in-process through the application form."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

import actions.assistance  # noqa: F401  (registers the actions)
from actions import executor, services
from actions.assistance import registry
from actions.tracker import Tracker

REGION = Path(__file__).parents[2] / "backoffice" / "seed" / "region.yaml"


def seeded_tree() -> tuple[dict[str, Any], ...]:
    """The region as ``GET /districts`` gives it."""
    region = yaml.safe_load(REGION.read_text(encoding="utf-8"))
    return tuple(
        {
            "code": d["code"],
            "name": d["name"],
            "streets": [
                {
                    "code": s["code"],
                    "name": s["name"],
                    "kind": s["kind"],
                    "communities": [{"code": c["code"], "name": c["name"]} for c in s["communities"]],
                }
                for s in d["streets"]
            ],
        }
        for d in region["districts"]
    )


class Region:
    """The two reads the community question makes: the region tree, and a committee by name."""

    def get(self, path: str, **params: Any) -> dict[str, Any]:
        if path == "/districts":
            return {"districts": list(seeded_tree())}
        if path == "/assistance/advisors":
            return {"community": {"code": "?", "name": params["community"]}}
        raise AssertionError(path)


@pytest.fixture(autouse=True)
def region(monkeypatch):
    registry._tree.cache_clear()
    monkeypatch.setattr(services, "backoffice", lambda: Region())
    yield
    registry._tree.cache_clear()


@pytest.mark.parametrize(
    "said, committee, street",
    [
        (["长寿路街道", "长寿路街道西康居委会"], "西康居委会", "长寿路街道"),  # the answer: two place entities
        (["长寿路街道西康居委会"], "西康居委会", "长寿路街道"),
        (["我住在曹杨一村"], "曹杨一村居委会", "曹杨新村街道"),
        (["西康"], "西康居委会", "长寿路街道"),
        (["长寿路街道"], None, "长寿路街道"),
        (["不知道居委会叫啥"], None, None),
    ],
)
def test_the_most_specific_place_is_taken(said, committee, street):
    found = registry.place_in(said)
    assert found.committee == committee
    assert (found.street.name if found.street else None) == street


def ask_community(text: str, entities: list[str] = ()) -> dict:
    tracker = Tracker.from_dict(
        {
            "sender_id": "oWeChat",
            "slots": {
                "requested_slot": "assistance_community",
                "assistance_identity": "unknown",
                "assistance_type": "低保",
                "assistance_applicant": "本人",
                "assistance_relation": "本人",
                "assistance_member": "",
                "assistance_id_number": "310107195001011230",
                "assistance_phone": "13912345678",
            },
            "latest_message": {
                "text": text,
                "intent": {"name": "eldercare_find"},
                "entities": [{"entity": "community", "value": v} for v in entities],
            },
            "events": [],
            "active_loop": {"name": "assistance_apply_form"},
        }
    )
    return executor.run("validate_assistance_apply_form", tracker, {})


def test_street_and_committee_fill_the_committee():
    result = ask_community("长寿路街道西康居委会", ["长寿路街道", "西康居委会"])
    slots = {e["name"]: e["value"] for e in result["events"] if e["event"] == "slot"}
    assert slots["assistance_community"] == "西康居委会" and slots["requested_slot"] == "assistance_hardship"
    assert [r["response"] for r in result["responses"]] == ["utter_assistance_ask_hardship"]


def test_a_street_alone_offers_its_committees_and_not_knowing_asks_the_street():
    listed = ask_community("长寿路街道", ["长寿路街道"])
    assert [r["response"] for r in listed["responses"]] == ["utter_assistance_ask_community_in_street"]
    assert [b["payload"] for b in listed["responses"][0]["buttons"]][:2] == ["普雄居委会", "西康居委会"]
    dont_know = ask_community("不知道居委会叫啥")
    assert [r["response"] for r in dont_know["responses"]] == ["utter_assistance_community_unknown"]
