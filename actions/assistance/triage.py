"""The first step of every assistance request: the form about to start gets a clean slate and what
the message already told us. (A resident in danger was handed to a person by the web router before
the bot saw the message: web/handoff/intake.py.)"""

from __future__ import annotations

import re
from typing import Any

from actions import events, identity, services
from actions.assistance import household, parsing, registry
from actions.assistance.apply import DEFAULT_TYPE, STORY_LENGTH
from actions.assistance.flow import APPLY_SLOTS, CHECK_SLOTS, entity
from actions.dispatcher import Dispatcher
from actions.executor import action
from actions.forms import reset
from actions.tracker import Tracker
from common.backoffice_client import BackofficeError, BackofficeUnavailable
from common.dates import full_date

TRIAGE, CHECK_FORM, APPLY_FORM = "action_assistance_triage", "assistance_check_form", "assistance_apply_form"


@action(TRIAGE)
def triage(dispatcher: Dispatcher, tracker: Tracker, _domain: dict[str, Any]) -> list[dict]:
    """The pre-check for a question, the application for a request. A question whether one can apply (我家能不能申请
    低保) is a question whatever the NLU made of it: the pre-check starts instead of the application's rules."""
    asked = tracker.latest_intent == "assistance_apply" and parsing.asks_whether(tracker.latest_text)
    if tracker.latest_intent == "assistance_eligibility" or asked:
        told = parsing.figures_told(tracker.latest_text)  # "我们是宝山区的两口人": asked no more
        known = [events.slot_set(slot, value) for slot, value in told.items()]
        started = [events.followup(CHECK_FORM)] if asked else []
        return reset(CHECK_SLOTS, requested=False) + known + _tell_standard(dispatcher, tracker) + started
    return _prefill_application(tracker)


def _precheck_messages(tracker: Tracker) -> list[str]:
    """The resident's messages from the one that started the latest pre-check up to the one before the latest."""
    events_ = list(tracker.events)
    started = max(
        (i for i, e in enumerate(events_) if e.get("event") == "action" and e.get("name") == TRIAGE), default=0
    )
    users = [i for i, e in enumerate(events_) if e.get("event") == "user"]
    opening = max((i for i in users if i < started), default=started)
    return [str(events_[i].get("text") or "") for i in users if i >= opening][:-1]


def _hardship_told(text: str) -> str | None:
    """A message as an account of the hardship: one that names a kind and tells more (parsing.story), or one of some
    length that asks nothing (能不能申请 is a question, not a hardship)."""
    if named := parsing.assistance_type(text):
        return parsing.story(text, named)
    told = re.sub(r"[\s，。,.!！?？、]", "", text)
    return text.strip() if len(told) >= STORY_LENGTH and not parsing.is_question(text) else None


def apply_instead(dispatcher: Dispatcher, tracker: Tracker) -> list[dict]:
    """The resident asks to apply in the middle of the pre-check (申请救助, 我自己申请): the application starts with
    what the pre-check's messages told — the kind named or pointed to, and the longest account of the hardship; a
    hardship told without a kind applies for 低保 for now, as at the kind's question. The pre-check's figures are forgotten. An
    unverified resident is asked to verify first (no form)."""
    said = [*_precheck_messages(tracker), tracker.latest_text]
    kind = next((k for text in reversed(said) if (k := parsing.assistance_type(text))), None)
    hardship = max((h for text in said if (h := _hardship_told(text))), key=len, default=None)
    if hardship:  # as at the kind's question: the kind the story points to, or 低保 for now
        kind = kind or DEFAULT_TYPE
        dispatcher.utter(response="utter_assistance_type_inferred", kind=kind)
    status, _ = household.registry_entry(tracker.sender_id)
    out = (
        reset(CHECK_SLOTS)
        + reset(APPLY_SLOTS, requested=False)
        + [
            events.slot_set("assistance_type", kind),
            events.slot_set("assistance_hardship", hardship[:300] if hardship else None),
            events.slot_set(household.IDENTITY_SLOT, status),
            events.active_loop(None),
        ]
    )
    if status == household.UNVERIFIED:
        identity.ask_to_verify(dispatcher, *household.resume(kind))
        return out
    dispatcher.utter(response="utter_assistance_apply_instead")
    return [*out, events.followup(APPLY_FORM)]


def _tell_standard(dispatcher: Dispatcher, tracker: Tracker) -> list[dict]:
    district = tracker.get_slot("district") or registry.district_in(tracker.latest_text)
    if not district and (resident := registry.bound_resident(tracker.sender_id)):
        district = registry.district_name(resident["hukou_district_code"])
    known = registry.districts()
    asked = district or (known[0][1] if known else "")
    try:
        answer = services.backoffice().get("/assistance/standards", district=asked)
    except (BackofficeError, BackofficeUnavailable):
        dispatcher.utter(response="utter_assistance_precheck_intro")
        return [events.slot_set("district", district)] if district else []
    std = answer["standard"]
    kind = entity(tracker, "assistance_type") or parsing.assistance_type(tracker.latest_text)
    if kind in answer["programs"] and kind != "低保":  # "特困供养是什么条件": that kind first, then the 低保 standard
        dispatcher.utter(_program_text(kind, answer["programs"][kind], std))
    place = district or std["city"]
    dispatcher.utter(
        response="utter_assistance_standard",
        place=place,
        dibao=std["dibao_per_person_month"],
        since=full_date(std["effective_from"]),
        low_income=std["low_income_line"],
    )
    dispatcher.utter(response="utter_assistance_precheck_intro")
    return [events.slot_set("district", district)] if district else []


def _program_text(kind: str, program: dict, std: dict) -> str:
    """What a kind of assistance other than 低保 is, in the back-office's words; for 特困供养 also who qualifies."""
    text = f"{program['full_name']}：{program['summary']}"
    tekun = std.get("tekun")
    if kind == "特困供养" and tekun:
        ages = tekun["ages"]
        text += (
            f"\n条件：{tekun['conditions']}，并且是{ages['elderly_from']}周岁以上的老人、"
            f"{ages['minor_below']}周岁以下的未成年人或重度残疾人。"
            f"\n基本生活标准每人每月 {tekun['basic_living_per_month']} 元。想申请，跟我说“申请{kind}”就行。"
        )
    return text


def _prefill_application(tracker: Tracker) -> list[dict]:
    text = tracker.latest_text
    named = entity(tracker, "assistance_type")
    kind = named or parsing.assistance_type(text)
    out = reset(APPLY_SLOTS, requested=False) + [events.slot_set("assistance_type", kind)]
    if kind and (told := parsing.story(text, kind)):
        out.append(events.slot_set("assistance_hardship", told))
    return out


@action("action_assistance_identity")
def who_applies(dispatcher: Dispatcher, tracker: Tracker, _domain: dict[str, Any]) -> list[dict]:
    """Before the application form: who the sender is (``assistance_identity``). An unverified sender is asked to
    verify first and the form does not start: nobody types a whole form to be refused at the end."""
    status, _ = household.registry_entry(tracker.sender_id)
    if status == household.UNVERIFIED:
        identity.ask_to_verify(dispatcher, *household.resume(tracker.get_slot("assistance_type")))
    return [events.slot_set(household.IDENTITY_SLOT, status)]
