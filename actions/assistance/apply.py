"""Applying: type, who for, ID, phone, community, the hardship, consent to the economic-status
check (经济状况核对), read-back, then submission — or the outbox when the back-office is down.

Only a verified resident applies (the triage asks an unverified one to verify before the first
question), for themselves or a member of their registry household: their name, ID number, phone
and community come from the registry and are read back masked, not typed
(actions/assistance/household.py). While the back-office cannot be reached at the start, the form
asks for them as before and the back-office checks the application when it is submitted."""

from __future__ import annotations

import hashlib
import re
from typing import Any

from actions import identity, services
from actions.assistance import household, parsing, registry
from actions.assistance.flow import APPLY_SLOTS, AssistanceForm, entity
from actions.dispatcher import Dispatcher
from actions.executor import action
from actions.feedback import offer_rating
from actions.forms import AnotherWay, FormCall, reset
from actions.tracker import Tracker
from common.backoffice_client import BackofficeError, BackofficeUnavailable
from common.masking import ID_NUMBER_RE, find_phone, is_valid_id_number, mask_id_number, mask_phone

HARDSHIP_MIN_LENGTH = 4
WRONG = re.compile(r"^(不对|不對|不太对|错了|錯了|有错|有一项不对|写错了)[的吧啊呀了。！!，, ]*$")  # at the read-back
CHANGE_WORDS = re.compile(r"改|换|应该是|不是.*是")
DONT_KNOW = re.compile(r"不知道|不清楚|不晓得|记不(得|清)|忘了|说不上来")
DEFAULT_TYPE = "低保"  # applied for when the resident cannot say which kind: the advisor sees which fits
STORY_LENGTH = 8  # characters of a hardship told instead of a kind
EARLY_ANSWER_LENGTH = 8  # a message this short naming who applies answers that question, not the kind


def _hardship_without_a_kind(text: str) -> bool:
    """ "不知道申请哪种", or a few words of hardship that name no kind and say nothing of who applies."""
    text = text.strip()
    if not text or text.startswith("/"):
        return False
    told = re.sub(r"[\s，。,.!！?？、]", "", text)
    return bool(DONT_KNOW.search(text)) or (len(told) >= STORY_LENGTH and parsing.applicant(text)[0] != "家人")


class ApplyForm(AssistanceForm):
    """``validate_assistance_apply_form``: type, who for, ID number, phone, community, hardship, consent, confirmation."""

    form = "assistance_apply_form"
    # the first message is read too, and so is the one that left the pre-check for the application (我自己申请)
    own_actions = ("action_assistance_triage", "action_assistance_identity", "assistance_check_form")
    slots = APPLY_SLOTS
    free_text = frozenset({"assistance_relation", "assistance_hardship"})  # any words fill them: "stop" still stops
    started_by = "assistance_apply"
    questions = APPLY_SLOTS
    another_ways = {
        "assistance_type": AnotherWay("utter_assistance_type_another_way"),
        "assistance_applicant": AnotherWay("utter_assistance_applicant_another_way"),
        "assistance_relation": AnotherWay("utter_assistance_relation_another_way"),
        "assistance_id_number": AnotherWay("utter_assistance_id_number_another_way"),
        "assistance_phone": AnotherWay("utter_assistance_phone_another_way"),
        "assistance_community": AnotherWay("utter_assistance_community_another_way"),
        "assistance_hardship": AnotherWay("utter_assistance_hardship_another_way"),
        "assistance_consent": AnotherWay("utter_assistance_consent_another_way"),
        "assistance_confirmed": AnotherWay("utter_assistance_confirmed_another_way"),
    }

    def extract_assistance_type(self, call: FormCall) -> dict:
        """The kind named or suggested; a resident who does not know, or tells of a hardship the words do not
        place, applies for 低保 for now (the advisor who visits sees which kind fits, and the read-back lets
        them change their mind) with their words as the hardship."""
        t = call.tracker
        kind = entity(t, "assistance_type") or parsing.assistance_type(t.latest_text)
        early = self._applicant_said_early(call)  # "给我自己办" before the kind is known
        if kind is None and not early and _hardship_without_a_kind(t.latest_text):
            call.say("utter_assistance_type_inferred", kind=DEFAULT_TYPE)
            told = t.latest_text.strip()
            return {
                "assistance_type": DEFAULT_TYPE,
                **({"assistance_hardship": told[:300]} if len(told) >= STORY_LENGTH else {}),
            }
        if kind is None:
            if not early:
                call.say("utter_assistance_type_unclear")
            return {"assistance_type": None, **early}
        out = {"assistance_type": kind, **early}
        if told := parsing.story(t.latest_text, kind):  # a story, not just the name: it is the hardship description
            out["assistance_hardship"] = told
            call.say("utter_assistance_type_inferred", kind=kind)
        return out

    def slots_to_extract(self, call: FormCall) -> list[str]:
        if call.requested is None:  # the message that started the form: the triage has read the kind and the story
            return ["assistance_family_named"]
        return super().slots_to_extract(call)

    def extract_assistance_family_named(self, call: FormCall) -> dict:
        """The family member the application is for, named in the message that starts it ("我想帮我老婆申请医疗救助"):
        not asked again. Only a relation the application is said to be for counts here (帮我老婆: a story's 老婆也生病,
        自己 or 我 says nothing of who applies) — but a short answer that left the pre-check for the application says
        who it is for, the resident too (我自己申请)."""
        if self._left_precheck(call):
            return self._applicant_said_early(call)
        relation = parsing.for_whom(call.text)
        if relation is None:
            return {}
        return {"assistance_applicant": "家人", "assistance_relation": relation, **self._who(call, relation)}

    def _left_precheck(self, call: FormCall) -> bool:
        """Whether the pre-check ran on this message (and left it for the application: triage.apply_instead)."""
        for event in reversed(call.tracker.events):
            if event.get("event") == "user":
                return False
            if event.get("event") == "action" and event.get("name") == "assistance_check_form":
                return True
        return False

    def _applicant_said_early(self, call: FormCall) -> dict:
        """A short answer to the next question (给我自己办, 替我妈申请) given while the kind is asked: who it is for."""
        text = call.tracker.latest_text.strip()
        if call.get("assistance_applicant") is not None or len(text) > EARLY_ANSWER_LENGTH:
            return {}
        who, relation = parsing.applicant(text)
        if who is None:
            return {}
        return {"assistance_applicant": who, "assistance_relation": relation, **self._who(call, relation)}

    def after_extraction(self, call: FormCall) -> list[dict] | None:
        if call.notes.get("end"):
            return self.end_form()
        return super().after_extraction(call)

    def _registry(self, call: FormCall) -> dict[str, Any] | None:
        """The verified resident's registry entry (None: not verified, or the back-office is down)."""
        if call.get(household.IDENTITY_SLOT) != household.VERIFIED:
            return None
        if "me" not in call.notes:
            call.notes["me"] = household.registry_entry(call.tracker.sender_id)[1]
        return call.notes["me"]

    def _who(self, call: FormCall, relation: str | None) -> dict:
        """The slots known once it is clear who the application is for (all of them for the resident)."""
        me = self._registry(call)
        if me is None:
            return {"assistance_member": ""} if relation else {}  # typed, as before: the back-office checks
        if relation == "本人":
            return household.filled_for(me, None)
        if relation is None:
            return {}
        if not household.others(me):
            call.say("utter_assistance_only_household")
            call.notes["end"] = True
            return {}
        found = household.matching(me, call.tracker.latest_text, relation)
        return household.filled_for(me, found[0]) if len(found) == 1 else {"assistance_member": None}

    def extract_assistance_applicant(self, call: FormCall) -> dict:
        who, relation = parsing.applicant(call.tracker.latest_text)
        me = self._registry(call)
        if who in (None, "本人") and me and household.matching(me, call.tracker.latest_text, None):
            who, relation = "家人", "家人"  # a household member named (给王建国申请)
        if who is None:
            call.say("utter_assistance_not_understood_applicant")
        return {"assistance_applicant": who, "assistance_relation": relation, **self._who(call, relation)}

    def extract_assistance_relation(self, call: FormCall) -> dict:
        relation = parsing.relation(call.tracker.latest_text)
        return {"assistance_relation": relation, **self._who(call, relation)}

    def extract_assistance_member(self, call: FormCall) -> dict:
        me = self._registry(call)
        if me is None:
            return {"assistance_member": ""}
        text = call.tracker.latest_text
        member = household.picked(me, text)
        if member is None and (relation := parsing.for_whom(text)):  # 不对，是给我老婆申请: the relation corrected
            found = household.matching(me, text, relation)
            if len(found) == 1:
                return {"assistance_relation": relation, **household.filled_for(me, found[0])}
        if member is None:
            call.say("utter_assistance_not_in_household")
            return {"assistance_member": None}
        return household.filled_for(me, member)

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
        """The most specific place named (the committee inside the street: 长寿路街道西康居委会 is 西康居委会); a
        street alone, or "不知道" with no place, gets the street's committees to pick from, or the question
        which street."""
        t = call.tracker
        place = registry.place_in([*map(str, t.entity_values("community")), t.latest_text])
        if place.committee is None and place.street is not None:
            call.say(
                "utter_assistance_ask_community_in_street",
                street=place.street.name,
                buttons=[{"title": name, "payload": name} for name in place.street.committees],
            )
            call.question_open = True
            return {"assistance_community": None}
        if place.committee is None and DONT_KNOW.search(t.latest_text):
            call.say("utter_assistance_community_unknown")
            call.question_open = True
            return {"assistance_community": None}
        said = place.committee or str(entity(t, "community") or t.latest_text).strip()
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

    def ask_assistance_member(self, call: FormCall) -> list[dict]:
        """Which member of the household: the list, names masked, to pick by number or name."""
        me = self._registry(call)
        if me is None:
            return call.ask("assistance_member", "utter_assistance_ask_relation")
        return call.ask("assistance_member", "utter_assistance_ask_member", members=household.listing(me))

    def ask_assistance_confirmed(self, call: FormCall) -> list[dict]:
        """The read-back, masked."""
        relation = call.get("assistance_relation") or "本人"
        applicant = "您本人" if relation == "本人" else f"您的{relation}"
        if call.get("assistance_member"):
            applicant += f"（{call.get('assistance_member')}）"
        return call.ask(
            "assistance_confirmed",
            "utter_assistance_read_back",
            kind=call.get("assistance_type"),
            applicant=applicant,
            id_number=mask_id_number(call.get("assistance_id_number") or ""),
            phone=mask_phone(call.get("assistance_phone") or ""),
            community=call.get("assistance_community"),
            hardship=call.get("assistance_hardship"),
        )

    def extract_assistance_confirmed(self, call: FormCall) -> dict:
        text = call.tracker.latest_text
        if phone := find_phone(text):  # another phone to call: read back again
            return {"assistance_phone": phone, "assistance_confirmed": None}
        kind = entity(call.tracker, "assistance_type") or parsing.assistance_type(text)
        if kind and kind != call.get("assistance_type") and CHANGE_WORDS.search(text):  # "改成临时救助"
            return {"assistance_type": kind, "assistance_confirmed": None}  # read back again
        answer = parsing.yes_no(text, call.tracker.latest_intent)
        if answer is False and WRONG.match(text.strip()):  # "不对": what is wrong, not "don't submit"
            call.say("utter_assistance_what_to_change")
            call.question_open = True
            return {"assistance_confirmed": None}
        if answer is None:
            call.say("utter_assistance_not_understood_yes_no")
        return {"assistance_confirmed": answer}


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


# Said with the documents to bring: those the application takes as photos in the chat (docs/documents.md).
PHOTOS = "其中{names}可以直接拍照发给我，我帮您放进这份申请里，发之前不用再说别的。"


def documents_to_bring(case: dict[str, Any]) -> str:
    """The case's documents as numbered lines, and which of them the resident can photograph now."""
    lines = [f"{i}. {d}" for i, d in enumerate(case["documents"], 1)]
    if photographed := [d["name"] for d in case.get("required_documents") or []]:
        lines.append(PHOTOS.format(names="、".join(photographed)))
    return "\n".join(lines)


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
        if exc.code == identity.NOT_BOUND:
            identity.ask_to_verify(dispatcher, *household.resume(s.get("assistance_type")))
        else:  # not for themselves or their household, or a field the back-office refuses
            dispatcher.utter(response="utter_assistance_refused", message=exc.message)
        return reset(APPLY_SLOTS, requested=False)
    dispatcher.utter(
        response="utter_assistance_submitted",
        case_no=case["case_no"],
        kind=case["type"],
        documents=documents_to_bring(case),
        advisor=case["advisor"]["name"],
        advisor_phone=case["advisor"]["phone"],
        street=case["street"],
        next_step=case["next_step"],
    )
    return reset(APPLY_SLOTS, requested=False) + offer_rating("assistance_application")
