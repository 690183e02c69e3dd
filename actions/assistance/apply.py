"""Applying: type, who for, ID, phone, community, the hardship, consent to the economic-status
check (经济状况核对), read-back, then submission — or the outbox when the back-office is down."""
from __future__ import annotations

import hashlib
from typing import Any

from actions import events, services
from actions.assistance import parsing
from actions.assistance.flow import APPLY_SLOTS, Reader, entity, reset, validate
from actions.dispatcher import Dispatcher
from actions.feedback import offer_rating
from actions.executor import action
from actions.tracker import Tracker
from common.backoffice_client import BackofficeError, BackofficeUnavailable
from common.masking import ID_NUMBER_RE, PHONE_RE, is_valid_id_number, mask_id_number, mask_phone

HARDSHIP_MIN_LENGTH = 4
FREE_TEXT = frozenset({"assistance_relation", "assistance_hardship"})  # any words fill them: "stop" still stops


def _type(d: Dispatcher, t: Tracker) -> list[dict]:
    kind = entity(t, "assistance_type") or parsing.assistance_type(t.latest_text)
    if kind is None:
        d.utter(response="utter_assistance_type_unclear")
        return [events.slot_set("assistance_type", None)]
    out = [events.slot_set("assistance_type", kind)]
    if told := parsing.story(t.latest_text, kind):  # a story, not just the name: it is the hardship description
        out.append(events.slot_set("assistance_hardship", told))
        d.utter(response="utter_assistance_type_inferred", kind=kind)
    return out


def _applicant(d: Dispatcher, t: Tracker) -> list[dict]:
    who, relation = parsing.applicant(t.latest_text)
    if who is None:
        d.utter(response="utter_assistance_not_understood_applicant")
    return [events.slot_set("assistance_applicant", who), events.slot_set("assistance_relation", relation)]


def _relation(_d: Dispatcher, t: Tracker) -> list[dict]:
    return [events.slot_set("assistance_relation", parsing.relation(t.latest_text))]


def _id_number(d: Dispatcher, t: Tracker) -> list[dict]:
    found = entity(t, "id_number") or next((m.group(0) for m in ID_NUMBER_RE.finditer(t.latest_text)), "")
    value = str(found).strip().upper()
    if not is_valid_id_number(value):
        d.utter(response="utter_assistance_bad_id_number")
        return [events.slot_set("assistance_id_number", None)]
    return [events.slot_set("assistance_id_number", value)]


def _phone(d: Dispatcher, t: Tracker) -> list[dict]:
    found = entity(t, "phone") or next((m.group(0) for m in PHONE_RE.finditer(t.latest_text)), None)
    if not found:
        d.utter(response="utter_assistance_bad_phone")
    return [events.slot_set("assistance_phone", found)]


def _community(d: Dispatcher, t: Tracker) -> list[dict]:
    said = str(entity(t, "community") or t.latest_text).strip()
    try:
        found = services.backoffice().get("/assistance/advisors", community=said)["community"]["name"]
    except BackofficeError:
        d.utter(response="utter_assistance_unknown_community")
        return [events.slot_set("assistance_community", None)]
    except BackofficeUnavailable:  # checked again when the application is submitted
        found = said[:40]
    return [events.slot_set("assistance_community", found)]


def _hardship(d: Dispatcher, t: Tracker) -> list[dict]:
    text = t.latest_text.strip()
    if len(text) < HARDSHIP_MIN_LENGTH or text.startswith("/"):
        d.utter(response="utter_assistance_hardship_too_short")
        return [events.slot_set("assistance_hardship", None)]
    return [events.slot_set("assistance_hardship", text[:300])]


def _consent(d: Dispatcher, t: Tracker) -> list[dict]:
    answer = parsing.yes_no(t.latest_text, t.latest_intent)
    if answer is not True:
        d.utter(response="utter_assistance_consent_required")
        return [events.slot_set("assistance_consent", None)]
    return [events.slot_set("assistance_consent", True)]


def _confirmed(d: Dispatcher, t: Tracker) -> list[dict]:
    answer = parsing.yes_no(t.latest_text, t.latest_intent)
    if answer is None:
        d.utter(response="utter_assistance_not_understood_yes_no")
    return [events.slot_set("assistance_confirmed", answer)]


VALIDATORS: dict[str, Reader] = {
    "assistance_type": _type, "assistance_applicant": _applicant, "assistance_relation": _relation,
    "assistance_id_number": _id_number, "assistance_phone": _phone, "assistance_community": _community,
    "assistance_hardship": _hardship, "assistance_consent": _consent, "assistance_confirmed": _confirmed,
}


@action("validate_assistance_apply_form")
def validate_apply(dispatcher: Dispatcher, tracker: Tracker, _domain: dict[str, Any]) -> list[dict]:
    return validate(dispatcher, tracker, APPLY_SLOTS, VALIDATORS, FREE_TEXT, started_by="assistance_apply")


@action("action_ask_assistance_confirmed")
def read_back(dispatcher: Dispatcher, tracker: Tracker, _domain: dict[str, Any]) -> list[dict]:
    s = tracker.slots
    relation = s.get("assistance_relation") or "本人"
    dispatcher.utter(response="utter_assistance_read_back", kind=s.get("assistance_type"),
                     applicant="您本人" if relation == "本人" else f"您的{relation}",
                     id_number=mask_id_number(s.get("assistance_id_number") or ""),
                     phone=mask_phone(s.get("assistance_phone") or ""), community=s.get("assistance_community"),
                     hardship=s.get("assistance_hardship"))
    return []


def application_body(tracker: Tracker) -> dict[str, Any]:
    s = tracker.slots
    return {
        "type": s["assistance_type"],
        "applicant": {"id_number": s["assistance_id_number"], "relation": s.get("assistance_relation") or "本人",
                      "phone": s["assistance_phone"]},
        "community": s["assistance_community"],
        "hardship": s["assistance_hardship"],
        "consent": {"economic_check": True},
        "submitted_by_openid": tracker.sender_id,
        "channel": str(tracker.metadata.get("channel", "")),
    }


def idempotency_key(tracker: Tracker) -> str:
    """The same for every retry of this confirmation: the sender and the confirming message."""
    user = next((e for e in reversed(tracker.events) if e.get("event") == "user"), {})
    mark = user.get("message_id") or user.get("timestamp") or tracker.latest_text
    return "as-" + hashlib.sha256(f"{tracker.sender_id}|{mark}".encode()).hexdigest()[:40]


@action("action_assistance_submit")
def submit(dispatcher: Dispatcher, tracker: Tracker, _domain: dict[str, Any]) -> list[dict]:
    s = tracker.slots
    if s.get("assistance_confirmed") is False:
        dispatcher.utter(response="utter_assistance_not_submitted")
        return reset(APPLY_SLOTS)
    if s.get("assistance_confirmed") is not True or s.get("assistance_consent") is not True or \
            any(s.get(name) is None for name in APPLY_SLOTS):
        return reset(APPLY_SLOTS)  # the form was stopped, or nothing was consented to: nothing to send
    body, key = application_body(tracker), idempotency_key(tracker)
    try:
        case = services.backoffice().post("/assistance/applications", body, idempotency_key=key)
    except BackofficeUnavailable:
        dispatcher.utter(response="utter_assistance_saved_for_later",
                         custom={"outbox": {"kind": "assistance_application", "id": key, "body": body}})
        return reset(APPLY_SLOTS)
    except BackofficeError as exc:
        dispatcher.utter(response="utter_assistance_refused", message=exc.message)
        return reset(APPLY_SLOTS)
    dispatcher.utter(response="utter_assistance_submitted", case_no=case["case_no"], kind=case["type"],
                     documents="\n".join(f"{i}. {d}" for i, d in enumerate(case["documents"], 1)),
                     advisor=case["advisor"]["name"], advisor_phone=case["advisor"]["phone"], street=case["street"],
                     next_step=case["next_step"])
    return reset(APPLY_SLOTS) + offer_rating("assistance_application")
