"""Applying: type, who for, ID, phone, community, the hardship, consent to the economic-status
check (经济状况核对), read-back, then submission — or the outbox when the back-office is down."""

from __future__ import annotations

import hashlib
from typing import Any

from actions import services
from actions.assistance import parsing
from actions.assistance.flow import APPLY_SLOTS, AssistanceForm, entity
from actions.dispatcher import Dispatcher
from actions.executor import action
from actions.feedback import offer_rating
from actions.forms import FormCall, reset
from actions.tracker import Tracker
from common.backoffice_client import BackofficeError, BackofficeUnavailable
from common.masking import ID_NUMBER_RE, find_phone, is_valid_id_number, mask_id_number, mask_phone

HARDSHIP_MIN_LENGTH = 4


class ApplyForm(AssistanceForm):
    """``validate_assistance_apply_form``: type, who for, ID number, phone, community, hardship, consent, confirmation."""

    form = "assistance_apply_form"
    slots = APPLY_SLOTS
    free_text = frozenset({"assistance_relation", "assistance_hardship"})  # any words fill them: "stop" still stops
    started_by = "assistance_apply"

    def extract_assistance_type(self, call: FormCall) -> dict:
        t = call.tracker
        kind = entity(t, "assistance_type") or parsing.assistance_type(t.latest_text)
        if kind is None:
            call.say("utter_assistance_type_unclear")
            return {"assistance_type": None}
        out = {"assistance_type": kind}
        if told := parsing.story(t.latest_text, kind):  # a story, not just the name: it is the hardship description
            out["assistance_hardship"] = told
            call.say("utter_assistance_type_inferred", kind=kind)
        return out

    def extract_assistance_applicant(self, call: FormCall) -> dict:
        who, relation = parsing.applicant(call.tracker.latest_text)
        if who is None:
            call.say("utter_assistance_not_understood_applicant")
        return {"assistance_applicant": who, "assistance_relation": relation}

    def extract_assistance_relation(self, call: FormCall) -> dict:
        return {"assistance_relation": parsing.relation(call.tracker.latest_text)}

    def extract_assistance_id_number(self, call: FormCall) -> dict:
        t = call.tracker
        found = entity(t, "id_number") or next((m.group(0) for m in ID_NUMBER_RE.finditer(t.latest_text)), "")
        value = str(found).strip().upper()
        if not is_valid_id_number(value):
            call.say("utter_assistance_bad_id_number")
            return {"assistance_id_number": None}
        return {"assistance_id_number": value}

    def extract_assistance_phone(self, call: FormCall) -> dict:
        found = entity(call.tracker, "phone") or find_phone(call.tracker.latest_text)
        if not found:
            call.say("utter_assistance_bad_phone")
        return {"assistance_phone": found}

    def extract_assistance_community(self, call: FormCall) -> dict:
        said = str(entity(call.tracker, "community") or call.tracker.latest_text).strip()
        try:
            found = services.backoffice().get("/assistance/advisors", community=said)["community"]["name"]
        except BackofficeError:
            call.say("utter_assistance_unknown_community")
            return {"assistance_community": None}
        except BackofficeUnavailable:  # checked again when the application is submitted
            found = said[:40]
        return {"assistance_community": found}

    def extract_assistance_hardship(self, call: FormCall) -> dict:
        text = call.tracker.latest_text.strip()
        if len(text) < HARDSHIP_MIN_LENGTH or text.startswith("/"):
            call.say("utter_assistance_hardship_too_short")
            return {"assistance_hardship": None}
        return {"assistance_hardship": text[:300]}

    def extract_assistance_consent(self, call: FormCall) -> dict:
        if parsing.yes_no(call.tracker.latest_text, call.tracker.latest_intent) is not True:
            call.say("utter_assistance_consent_required")
            return {"assistance_consent": None}
        return {"assistance_consent": True}

    def extract_assistance_confirmed(self, call: FormCall) -> dict:
        answer = parsing.yes_no(call.tracker.latest_text, call.tracker.latest_intent)
        if answer is None:
            call.say("utter_assistance_not_understood_yes_no")
        return {"assistance_confirmed": answer}


@action("action_ask_assistance_confirmed")
def read_back(dispatcher: Dispatcher, tracker: Tracker, _domain: dict[str, Any]) -> list[dict]:
    s = tracker.slots
    relation = s.get("assistance_relation") or "本人"
    dispatcher.utter(
        response="utter_assistance_read_back",
        kind=s.get("assistance_type"),
        applicant="您本人" if relation == "本人" else f"您的{relation}",
        id_number=mask_id_number(s.get("assistance_id_number") or ""),
        phone=mask_phone(s.get("assistance_phone") or ""),
        community=s.get("assistance_community"),
        hardship=s.get("assistance_hardship"),
    )
    return []


def application_body(tracker: Tracker) -> dict[str, Any]:
    s = tracker.slots
    return {
        "type": s["assistance_type"],
        "applicant": {
            "id_number": s["assistance_id_number"],
            "relation": s.get("assistance_relation") or "本人",
            "phone": s["assistance_phone"],
        },
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
        return reset(APPLY_SLOTS, requested=False)
    if (
        s.get("assistance_confirmed") is not True
        or s.get("assistance_consent") is not True
        or any(s.get(name) is None for name in APPLY_SLOTS)
    ):
        return reset(APPLY_SLOTS, requested=False)  # the form was stopped, or nothing was consented to: nothing to send
    body, key = application_body(tracker), idempotency_key(tracker)
    try:
        case = services.backoffice().post("/assistance/applications", body, idempotency_key=key)
    except BackofficeUnavailable:
        dispatcher.utter(
            response="utter_assistance_saved_for_later",
            custom={"outbox": {"kind": "assistance_application", "id": key, "body": body}},
        )
        return reset(APPLY_SLOTS, requested=False)
    except BackofficeError as exc:
        dispatcher.utter(response="utter_assistance_refused", message=exc.message)
        return reset(APPLY_SLOTS, requested=False)
    dispatcher.utter(
        response="utter_assistance_submitted",
        case_no=case["case_no"],
        kind=case["type"],
        documents="\n".join(f"{i}. {d}" for i, d in enumerate(case["documents"], 1)),
        advisor=case["advisor"]["name"],
        advisor_phone=case["advisor"]["phone"],
        street=case["street"],
        next_step=case["next_step"],
    )
    return reset(APPLY_SLOTS, requested=False) + offer_rating("assistance_application")
