"""Booking a registration: the form's validation (which also asks each question), submit, stop, materials."""

from __future__ import annotations

import re
from typing import Any

from actions import identity, services
from actions.dispatcher import Dispatcher
from actions.events import active_loop, followup, slot_set
from actions.executor import ActionRejected, action
from actions.feedback import offer_rating
from actions.forms import AnotherWay, FormCall, FormValidation, reset
from actions.handoff import request_handoff
from actions.marriage import common
from actions.marriage.common import button, numbered, valid_id
from actions.marriage.schedule import Where, ask_date, ask_slot, check_date, check_slot, day_of, read_answer
from actions.tracker import Tracker
from common.backoffice_client import BackofficeError, BackofficeUnavailable
from common.masking import is_valid_phone, mask_id_number, mask_name, mask_phone

FORM = "marriage_booking_form"
TYPES = ("结婚", "离婚", "补领")
TYPE_LABELS = {"结婚": "结婚登记", "离婚": "离婚登记", "补领": "补领结婚证/离婚证"}
SELF = ("marriage_party1_name", "marriage_party1_id")  # the verified resident, from the registry
OTHER = ("marriage_party2_name", "marriage_party2_id")  # the other party (结婚, 离婚; optional for 补领)
PEOPLE = (*SELF, *OTHER)
PLACE = ("marriage_office", "marriage_date", "marriage_slot")
SLOTS = (
    "marriage_type",
    "marriage_divorce_stage",
    *PLACE,
    *PEOPLE,
    "marriage_time_of_day",
    "marriage_phone",
    "marriage_confirmed",
    "marriage_appointment",
)
FIRST_VISIT = (  # the divorce's first visit, said with the errand
    r"第一次|头一次|头一回|还没(有)?(申[请請]|提交|递交|去过)|(提交|递交|递|交)(离婚|離婚)?申[请請]"
    r"|申[请請](书)?(交|递)"  # "把离婚申请交了"
)
ALONE = re.compile(r"就我一个|我一个人|只有我|就我自己|我自己去|单独去")  # a re-issue for the resident alone
MARRYING = re.compile(r"领证|把证领|扯证|拿证|领结婚证|登记结婚")  # colloquial for 结婚登记
COOLING_OFF = re.compile(r"冷静期|冷靜期")
NOBODY = "无"  # a re-issue booked by one party alone
KEEP_PHONE = re.compile(r"用这个|就用|就这个|这个号|这个手机|原来的")  # a yes to the registry's phone read back
NOT_SELF = "not_self"  # call notes: the resident said the verified identity read back is not theirs
DATE_CHECKED = "date_checked"  # call notes: the day held was checked (a new question about it announces nothing)
CHANGES = (  # words in "改日期" / "电话不对" → what to ask again
    (r"日期|哪天|日子|号数", ("marriage_date", "marriage_slot")),
    (r"时间|时段|几点|钟点", ("marriage_slot", "marriage_time_of_day")),
    (r"登记处|地点|地方|登记中心|服务点", ("marriage_office", "marriage_slot")),
    (r"姓名|名字|身份证|证件", PEOPLE),
    (r"电话|手机", ("marriage_phone",)),
    (r"事项|类型|办什么", ("marriage_type", "marriage_divorce_stage")),
)


def backoffice_down(call: FormCall) -> list[dict]:
    """Say plainly that the system is unreachable, hand over to a person, and leave the form."""
    call.say("utter_marriage_backoffice_down")
    request_handoff(call.dispatcher, "backoffice_down")
    return call.events + [active_loop(None), slot_set("requested_slot", None)]


class BookingForm(FormValidation):
    """``validate_marriage_booking_form``: reads every answer a message gives (an NLU entity, free text, or a
    choice's payload, which is that choice written out), checks every answer held against the back-office in the
    order asked, and asks the next question itself with the free choices as buttons."""

    form = FORM
    asks_itself = True
    own_actions = common.FORMS
    another_ways = {
        "marriage_type": AnotherWay("utter_marriage_type_another_way"),
        "marriage_divorce_stage": AnotherWay("utter_marriage_divorce_stage_another_way"),
        "marriage_office": AnotherWay("utter_marriage_office_another_way", choices="office_choices"),
        "marriage_date": AnotherWay("utter_marriage_date_another_way"),
        "marriage_party1_name": AnotherWay("utter_marriage_self_another_way"),
        "marriage_party2_name": AnotherWay("utter_marriage_party2_name_another_way"),
        "marriage_party2_id": AnotherWay("utter_marriage_party2_id_another_way"),
        "marriage_phone": AnotherWay("utter_marriage_phone_another_way"),
        "marriage_confirmed": AnotherWay("utter_marriage_confirmed_another_way"),
    }

    def required_slots(self, call: FormCall) -> list[str]:
        kind = call.get("marriage_type")
        out = ["marriage_type"]
        if kind == "离婚":
            out.append("marriage_divorce_stage")
        certificate = kind == "离婚" and call.get("marriage_divorce_stage") == "领证"
        out += SELF  # the verified resident, read back for a yes before anything else is asked
        out += [*OTHER, *PLACE] if certificate else [*PLACE, *OTHER]
        return out + ["marriage_phone", "marriage_confirmed"]

    def slots_to_validate(self, call: FormCall) -> set[str]:
        return set(SLOTS)  # every answer held, every time: a day or a slot can fill up between two messages

    def interrupt(self, call: FormCall) -> list[dict] | None:
        """Only a verified resident books (the back-office refuses anyone else): asked as the form starts, before
        the resident has typed anything."""
        if call.requested is None and common.verified_resident(call.tracker.sender_id) is None:
            return self.verify_first(call)
        return None

    def verify_first(self, call: FormCall) -> list[dict]:
        kind = call.get("marriage_type") or call.entity("marriage_type")
        kind = kind if kind in TYPES else None
        common.ask_to_verify(call.dispatcher, "marriage_book", "预约" + TYPE_LABELS.get(kind, "婚姻登记"), kind)
        return call.events + reset(SLOTS, end_form=True)

    def backoffice_down(self, call: FormCall, exc: BackofficeUnavailable) -> list[dict]:
        return backoffice_down(call)

    # --- reading the resident's answer: any slot it gives, not only the one asked for --------------------------

    def slots_to_extract(self, call: FormCall) -> list[str]:
        asked = call.requested
        person = [asked] if asked in PEOPLE else ["marriage_other_party"]
        return ["marriage_type", "marriage_office", "marriage_date", *person, "marriage_phone", "marriage_confirmed"]

    def extract_marriage_type(self, call: FormCall) -> None:
        asked, text = call.requested, call.text
        if asked in (None, "marriage_type") and not call.entity("marriage_type") and not call.get("marriage_type"):
            kind = next((t for t, word in (("离婚", "离婚"), ("补领", "补"), ("结婚", "结婚")) if word in text), None)
            if kind is None and MARRYING.search(text) and not re.search(r"离|冷静期", text):
                kind = "结婚"  # "我们想去把证领了": 领证 without 离婚 is getting married
            if kind in TYPES:
                call.set("marriage_type", kind)
        if call.entity("marriage_type") and call.get("marriage_type") != "离婚":
            call.clear("marriage_divorce_stage")
        stage = None
        if re.search(r"领证|领离婚证|拿证|拿离婚证|冷静期(满|过|到)|第二次", text):
            stage = "领证"
        elif re.search(FIRST_VISIT, text) or (asked == "marriage_divorce_stage" and re.search(r"申请|提交|递交", text)):
            stage = "申请"  # "我们是第一次去" said with the errand, before the stage is asked
        if stage and (call.get("marriage_type") == "离婚" or asked == "marriage_divorce_stage"):
            call.set("marriage_divorce_stage", stage)

    def extract_marriage_office(self, call: FormCall) -> None:
        asked, named = call.requested, call.entity("office")
        if asked != "marriage_office" and not named:
            return
        code = match_office(common.offices(), str(named or call.text), call.entity("district"))
        if code and code != call.get("marriage_office"):
            call.set("marriage_office", code)
            if call.get("marriage_slot"):
                call.clear("marriage_slot")

    def extract_marriage_date(self, call: FormCall) -> None:
        """The day, the half day and the time slot; digits of an ID number or a phone are not a date."""
        if call.requested in (*PEOPLE, "marriage_phone"):
            return
        office = _office(call)
        if office:
            read_answer(call, _where(call, office))
        elif call.entity("date"):
            call.set("marriage_date", str(call.entity("date")))

    def extract_marriage_party1_name(self, call: FormCall) -> None:
        """The resident is party 1, as verified: their name and ID number come from the registry, read back masked
        for a yes (nothing typed is taken for them)."""
        named = common.name_in(call.text)  # a name typed here is a yes only when it is the resident's own
        said_yes = (
            common.YES.match(call.text)
            or common.affirms_self(call.text)  # "对是我", "是我本人"
            or common.LEADING_YES.match(call.text)  # "对，就去普陀区婚姻登记中心": the office is read too
            or (call.intent == "affirm" and named is None)
        )
        if said_yes or named is not None:
            record = common.verified_resident(call.tracker.sender_id)
            if record is not None and named in (None, record["name"]):
                call.set("marriage_party1_name", record["name"])
                call.set("marriage_party1_id", record["id_number"])
        elif call.intent == "deny" or common.NO.match(call.text) or call.text.startswith("不"):
            call.notes[NOT_SELF] = True

    def _extract_person(self, call: FormCall) -> None:
        asked, text = call.requested, call.text
        if asked == "marriage_party2_name":
            if (
                asked == "marriage_party2_name"
                and call.get("marriage_type") == "补领"
                and (call.intent == "deny" or re.search(r"就我|一个人|只有我|不来|不一起|单独", text))
            ):
                call.set("marriage_party2_name", NOBODY)
                call.set("marriage_party2_id", NOBODY)
                return
            number = common.id_number_in(text)  # "白根生 310…": the name and the ID number in one message
            name = common.name_in(text.replace(" ", "").replace(number, "") if number else text)
            if name:
                call.set(asked, name)
                if number and valid_id(number):
                    call.set("marriage_party2_id", number)
            elif text and call.intent not in common.SIDE_INTENTS:
                call.say("utter_marriage_bad_name")
        else:
            number = call.entity("id_number") or common.id_number_in(text)
            if number and valid_id(str(number).upper()):
                call.set(asked, str(number).upper())
            elif number or (text and call.intent not in common.SIDE_INTENTS):
                call.say("utter_marriage_bad_id", masked=mask_id_number(str(number or text)))

    extract_marriage_party2_name = extract_marriage_party2_id = _extract_person

    def extract_marriage_other_party(self, call: FormCall) -> None:
        """The other party named before they are asked ("我和我女朋友于玉兰想约个时间领证，她身份证号是…"), or their
        name and ID number sent while another question waits ("姜天佑" at the day question): kept, said so when it
        was an answer to a later question, and checked with the rest when their turn comes. A re-issue said to be
        for the resident alone ("就我一个人去") does not ask for another party."""
        if call.get("marriage_party2_name") is None:
            if call.get("marriage_type") == "补领" and ALONE.search(call.text):
                call.set("marriage_party2_name", NOBODY)
                call.set("marriage_party2_id", NOBODY)
                return
            if name := common.partner_named(call.text):
                call.set("marriage_party2_name", name)
            elif self._waits_for_another_answer(call) and (name := common.bare_name(call.text)):
                call.set("marriage_party2_name", name)
                call.say("utter_marriage_kept_for_later", what=f"另一方的名字“{name}”")
        number = common.id_number_in(call.text)
        if (
            call.get("marriage_party2_id") is None
            and call.get("marriage_party2_name") not in (None, NOBODY)
            and number
            and valid_id(number)
            and number != call.get("marriage_party1_id")
        ):
            call.set("marriage_party2_id", number)
            if self._waits_for_another_answer(call):
                call.say("utter_marriage_kept_for_later", what=f"另一方的身份证号（{mask_id_number(number)}）")

    @staticmethod
    def _waits_for_another_answer(call: FormCall) -> bool:
        """A question other than the resident's own identity or the read-back is waiting, and the message holds
        no day, office or place (a name among those is not a name sent on its own)."""
        return (
            call.requested not in (None, "marriage_party1_name", "marriage_party1_id", "marriage_confirmed")
            and call.get("marriage_type") in TYPES
            and not any(call.entity(e) for e in ("date", "office", "district", "community"))
        )

    def extract_marriage_phone(self, call: FormCall) -> None:
        asked, text = call.requested, call.text
        keep = KEEP_PHONE.search(text) and not re.search(r"不|换|别|另", text) and not common.phone_in(text)
        if asked == "marriage_phone" and (_affirmed(call) or common.YES.match(text) or keep):
            known = _registry_phone(call)  # the yes to the phone in the registry, read back masked
            if known:
                call.set("marriage_phone", known)
                return
        phone = call.entity("phone") or (
            common.phone_in(text) if asked == "marriage_phone" or "电话" in text or "手机" in text else None
        )
        if phone:
            call.set("marriage_phone", phone)
        elif asked == "marriage_phone" and text and call.intent not in common.SIDE_INTENTS:
            call.say("utter_marriage_bad_phone")

    def extract_marriage_confirmed(self, call: FormCall) -> None:
        """Yes at the read-back; or what to change ("日期改成周五", "电话不对"), whatever was asked."""
        read_something = bool(call.events)
        if call.requested != "marriage_confirmed":
            if not read_something:
                _read_change_request(call, call.text)
        elif not read_something:  # "日期改成周五": the new value was read; the summary is shown again
            if number := call.entity("id_number") or common.id_number_in(call.text):
                _id_at_read_back(call, str(number).upper())
            elif _affirmed(call) or common.YES.match(call.text):
                call.set("marriage_confirmed", True)
            elif not _read_change_request(call, call.text) and (call.intent == "deny" or common.NO.match(call.text)):
                call.say("utter_marriage_ask_what_to_change")
                call.question_open = True

    def after_extraction(self, call: FormCall) -> list[dict] | None:
        if call.notes.get(NOT_SELF):  # the booking is the verified resident's own, or none
            call.say("utter_marriage_not_self")
            return call.events + reset(SLOTS, end_form=True)
        if (
            call.fresh
            and not call.events
            and not call.dispatcher.messages
            and call.intent in common.SIDE_INTENTS
            and not common.carries_details(call)  # an ID number or a phone is an answer, whatever the NLU thought
        ):
            # The rules answer the side question. Rejected rather than left unconsumed: a side question that names
            # the kind ("领证要带什么") has had marriage_type set by Rasa's slot mapping, which Rasa would otherwise
            # take for an answer to the form.
            raise ActionRejected(f"validate_{FORM}", "a side question: the rules answer it")
        return None

    # --- checking the answers held, and asking the next question ------------------------------------------------

    def validate_marriage_type(self, call: FormCall, value: str) -> dict:
        return {} if value in TYPES else {"marriage_type": None}

    def ask_marriage_type(self, call: FormCall) -> list[dict]:
        return call.ask("marriage_type", "utter_marriage_ask_type")

    def validate_marriage_divorce_stage(self, call: FormCall, value: str) -> dict:
        return {} if value in ("申请", "领证") else {"marriage_divorce_stage": None}

    def ask_marriage_divorce_stage(self, call: FormCall) -> list[dict]:
        return call.ask("marriage_divorce_stage", "utter_marriage_ask_divorce_stage")

    def validate_marriage_office(self, call: FormCall, value: str) -> dict:
        _certificate_window(call)  # no application on record: say so before asking anything more
        office, kind = _office(call), call.get("marriage_type")
        if office and kind in office["services"]:
            return {}
        if office:
            call.say("utter_marriage_office_no_service", office_name=office["name"], service=TYPE_LABELS[kind])
        return {"marriage_office": None}

    def ask_marriage_office(self, call: FormCall) -> list[dict]:
        _certificate_window(call)
        kind = call.get("marriage_type")
        offices = common.offices(kind)
        district = call.get("district") or call.entity("district")
        if district:
            offices.sort(key=lambda o: o["name"][:2] not in str(district))
        hint = f"离{district}近的排在前面。" if district else ""
        return call.ask(
            "marriage_office",
            "utter_marriage_ask_office",
            buttons=[button(f"{o['name']}（{o['address']}）", o["name"]) for o in offices],
            hint=hint,
        )

    def validate_marriage_date(self, call: FormCall, value: str) -> dict:
        call.notes[DATE_CHECKED] = True
        check_date(call, _where(call, _office(call)))
        return {}

    def ask_marriage_date(self, call: FormCall) -> list[dict]:
        window = _certificate_window(call, announce=not call.notes.get(DATE_CHECKED))
        return ask_date(call, _where(call, _office(call), window))

    def validate_marriage_slot(self, call: FormCall, value: str) -> dict:
        check_slot(call, _where(call, _office(call)))
        return {}

    def ask_marriage_slot(self, call: FormCall) -> list[dict] | None:
        return ask_slot(call, _where(call, _office(call)))

    def validate_marriage_party1_name(self, call: FormCall, value: str) -> dict:
        return {}

    def validate_marriage_party2_name(self, call: FormCall, value: str) -> dict:
        return {}

    def validate_marriage_party1_id(self, call: FormCall, value: str) -> dict:
        return self._check_id(call, "marriage_party1_id", value)

    def validate_marriage_party2_id(self, call: FormCall, value: str) -> dict:
        return self._check_id(call, "marriage_party2_id", value)

    def _check_id(self, call: FormCall, step: str, value: str) -> dict:
        position = step[len("marriage_party")]
        if value == NOBODY and position == "2" and call.get("marriage_type") == "补领":
            return {}
        if position == "1" and call.get("marriage_type") == "结婚" and call.get("marriage_date"):
            # the resident's own age: the day is what can change (the under-age message says until when)
            return {"marriage_date": None, "marriage_slot": None} if _under_age(call, position) else {}
        if not valid_id(value):
            call.say("utter_marriage_bad_id", masked=mask_id_number(value))
        elif position == "2" and value == call.get("marriage_party1_id"):
            call.say("utter_marriage_same_person")
        elif not (call.get("marriage_type") == "结婚" and call.get("marriage_date") and _under_age(call, position)):
            return {}
        return {step: None}

    def ask_marriage_party1_name(self, call: FormCall) -> list[dict]:
        record = common.verified_resident(call.tracker.sender_id)
        if record is None:  # unbound since the form started
            return self.verify_first(call)
        return call.ask(
            "marriage_party1_name",
            "utter_marriage_ask_self",
            name=mask_name(record["name"]),
            id_number=mask_id_number(record["id_number"]),
        )

    ask_marriage_party1_id = ask_marriage_party1_name  # both are read from the registry at the one yes

    def ask_marriage_party2_name(self, call: FormCall) -> list[dict]:
        if call.get("marriage_type") == "补领":
            return call.ask("marriage_party2_name", "utter_marriage_ask_reissue_party2")
        return call.ask("marriage_party2_name", "utter_marriage_ask_party2_name")

    def ask_marriage_party2_id(self, call: FormCall) -> list[dict]:
        return call.ask(
            "marriage_party2_id", "utter_marriage_ask_party2_id", name=call.get("marriage_party2_name") or "当事人"
        )

    def validate_marriage_phone(self, call: FormCall, value: str) -> dict:
        return {} if is_valid_phone(value) else {"marriage_phone": None}

    def ask_marriage_phone(self, call: FormCall) -> list[dict]:
        known = _registry_phone(call)
        if known:
            return call.ask("marriage_phone", "utter_marriage_ask_registry_phone", phone=mask_phone(known))
        return call.ask("marriage_phone", "utter_marriage_ask_phone")

    def validate_marriage_confirmed(self, call: FormCall, value: Any) -> dict:
        return {} if value is True else {"marriage_confirmed": None}

    def office_choices(self, call: FormCall) -> list[dict]:
        return [button(o["name"], o["name"]) for o in common.offices(call.get("marriage_type"))]

    def ask_marriage_confirmed(self, call: FormCall) -> list[dict]:
        return call.ask("marriage_confirmed", "utter_marriage_ask_confirm", summary=summary(call))


def match_office(offices: list[dict], words: str, district: str | None) -> str | None:
    """An office by its name, a distinctive part of it (长风, 南部), or its district (the district's main centre)."""
    words = words.strip()
    if not words:
        return None
    for o in offices:
        if o["code"] == words or o["name"] == words or (len(words) >= 4 and words in o["name"]):
            return o["code"]
    for o in offices:
        marker = o["name"].split("婚姻登记中心")[-1].removesuffix("服务点")
        if marker and marker in words:
            return o["code"]
    area = district or words
    for o in offices:  # offices are ordered by code: a district's main centre comes first
        if o["name"][:2] in area:
            return o["code"]
    return None


def _affirmed(call: FormCall) -> bool:
    """The NLU's yes, unless the message is a name (the NLU reads some names, 韩俊杰, as a yes)."""
    return call.intent == "affirm" and common.bare_name(call.text) is None


def _registry_phone(call: FormCall) -> str | None:
    """The verified resident's phone in the registry, when it has a valid one."""
    record = common.verified_resident(call.tracker.sender_id) or {}
    return record.get("phone") if is_valid_phone(record.get("phone") or "") else None


def _read_change_request(call: FormCall, text: str) -> bool:
    if not text or not re.search(r"改|换|不对|错", text):
        return False
    cleared = False
    for pattern, names in CHANGES:
        if re.search(pattern, text):
            call.clear(*names)
            cleared = True
    return cleared


def _id_at_read_back(call: FormCall, number: str) -> None:
    """An ID number sent at the read-back corrects the other party's (the resident's own is the registry's and
    is not typed); a booking with no other party is told what the read-back waits for."""
    if number == call.get("marriage_party1_id"):
        call.say("utter_marriage_own_id_at_read_back")
        call.question_open = True
    elif call.get("marriage_party2_name") in (None, NOBODY):
        call.say("utter_marriage_read_back_expects")
        call.question_open = True
    elif number == call.get("marriage_party2_id"):
        call.say("utter_marriage_id_already_held", name=call.get("marriage_party2_name"))
        call.question_open = True
    else:
        if valid_id(number):  # a wrong one is refused by the check, which says why
            call.say(
                "utter_marriage_id_corrected", name=call.get("marriage_party2_name"), masked=mask_id_number(number)
            )
        call.set("marriage_party2_id", number)


def _office(call: FormCall) -> dict | None:
    code = call.get("marriage_office")
    return next((o for o in common.offices() if o["code"] == code), None) if code else None


def _where(call: FormCall, office: dict, window: dict | None = None) -> Where:
    window = window or _certificate_window(call)
    if not window:
        return Where(office)
    return Where(office, window["first_date"], window["last_date"], window["first_label"], window["last_label"])


def _certificate_window(call: FormCall, announce: bool = False) -> dict | None:
    """For a divorce certificate: the days it may be collected, from the couple's application, as the back-office
    gives them. Without an application on record (or past day 60) the resident is told why, and the visit becomes
    the application."""
    if not (call.get("marriage_type") == "离婚" and call.get("marriage_divorce_stage") == "领证"):
        return None
    ids = [call.get("marriage_party1_id"), call.get("marriage_party2_id")]
    if not all(ids):
        return None
    body = {
        "openid": call.tracker.sender_id,
        "parties": [
            {"name": call.get("marriage_party1_name") or "当事人", "id_number": ids[0]},
            {"name": call.get("marriage_party2_name") or "当事人", "id_number": ids[1]},
        ],
    }
    try:
        window = services.backoffice().post("/marriage/divorce-window", body)
    except BackofficeError as exc:
        call.say("utter_marriage_backoffice_refused", message=exc.message + "\n这次先帮您预约提交离婚申请。")
        call.set("marriage_divorce_stage", "申请")
        return None
    if announce:
        call.say(
            "utter_marriage_divorce_window",
            application=window["application_label"],
            first=window["first_label"],
            last=window["last_label"],
        )
    return window


def _under_age(call: FormCall, position: str) -> bool:
    """结婚: the back-office's legal-age rule on the day chosen; its refusal is relayed as it words it. Both
    parties are asked about in one request (one per action run); only a refusal needs this party's own answer."""

    def check(positions: list[str]) -> BackofficeError | None:
        parties = [
            {"name": call.get(f"marriage_party{p}_name") or "当事人", "id_number": call.get(f"marriage_party{p}_id")}
            for p in positions
        ]
        try:
            services.backoffice().post("/marriage/legal-age", {"date": call.get("marriage_date"), "parties": parties})
        except BackofficeError as exc:
            return exc if exc.code == "under_age" else None  # anything else the booking itself refuses, in its words
        return None

    known = [p for p in ("1", "2") if valid_id(call.get(f"marriage_party{p}_id"))]
    refusal = check(known)
    if refusal is not None and known != [position]:
        refusal = check([position])
    if refusal is None:
        return False
    typed = "如果身份证号发错了，请重新发一次。" if position == "2" else ""  # party 1's number is the registry's
    call.say("utter_marriage_under_age", message=refusal.message + typed)
    return True


def kind_label(slots: dict) -> str:
    if slots.get("marriage_type") == "离婚":
        return "离婚登记（提交申请）" if slots.get("marriage_divorce_stage") == "申请" else "离婚登记（冷静期满领证）"
    return TYPE_LABELS.get(slots.get("marriage_type") or "", "")


def summary(call: FormCall) -> str:
    office = _office(call) or {}
    start, iso = call.get("marriage_slot"), call.get("marriage_date")
    day = day_of(_where(call, office), iso)
    end = next((s["end"] for s in day["slots"] if s["start"] == start), "")
    people = [(call.get(f"marriage_party{i}_name"), call.get(f"marriage_party{i}_id")) for i in (1, 2)]
    shown = "、".join(f"{n}（身份证 {mask_id_number(i)}）" for n, i in people if n and n != NOBODY)
    return "\n".join(
        [
            f"事项：{kind_label(call.slots)}",
            f"登记处：{office.get('name', '')}（{office.get('address', '')}）",
            f"时间：{day['label']} {start}-{end}",
            f"当事人：{shown}",
            f"手机：{mask_phone(call.get('marriage_phone') or '')}",
        ]
    )


# --- after the form ------------------------------------------------------------------------------------------------

REASK = {  # a refusal at submit time → the answers to ask again
    "slot_full": ("marriage_slot",),
    "office_closed": ("marriage_date", "marriage_slot"),
    "date_out_of_range": ("marriage_date", "marriage_slot"),
    "booking_closed": ("marriage_date", "marriage_slot"),  # the cut-off passed while the resident was booking
    "cooling_off": ("marriage_date", "marriage_slot"),
    "under_age": ("marriage_date", "marriage_slot"),
    "invalid_slot": ("marriage_slot",),
    "service_not_offered": ("marriage_office", "marriage_slot"),
    "invalid_id_number": PEOPLE,
    "invalid_name": PEOPLE,
    "same_person": PEOPLE,
    "invalid_phone": ("marriage_phone",),
}


def booking_body(tracker: Tracker) -> dict:
    s = tracker.slots
    parties = [
        {"name": s.get(f"marriage_party{i}_name"), "id_number": s.get(f"marriage_party{i}_id")}
        for i in (1, 2)
        if s.get(f"marriage_party{i}_name") not in (None, NOBODY)
    ]
    return {
        "openid": tracker.sender_id,
        "office_code": s.get("marriage_office"),
        "service": s.get("marriage_type"),
        "stage": s.get("marriage_divorce_stage") or "",
        "date": s.get("marriage_date"),
        "start": s.get("marriage_slot"),
        "parties": parties,
        "phone": s.get("marriage_phone"),
    }


@action("action_marriage_submit")
def submit(dispatcher: Dispatcher, tracker: Tracker, _domain: dict[str, Any]) -> list[dict]:
    """Book what the resident confirmed. A retry or a second confirmation reuses the Idempotency-Key."""
    if tracker.get_slot("marriage_confirmed") is not True:
        return []  # the form ended without a confirmation (stopped, or the back-office was down)
    body = booking_body(tracker)
    key = common.idempotency_key(tracker, FORM, {k: str(v) for k, v in body.items()})
    try:
        appointment = services.backoffice().post("/marriage/appointments", body, idempotency_key=key)
    except BackofficeUnavailable:
        # The request may or may not have reached the back-office: never say it failed. Keep what the
        # resident gave (a person resolves it; the same key would replay a booking that did go through).
        dispatcher.utter(response="utter_marriage_booking_unconfirmed")
        request_handoff(dispatcher, "backoffice_down", priority="urgent")
        return [slot_set("marriage_confirmed", None)]
    except BackofficeError as exc:
        if exc.code == identity.NOT_BOUND:  # unbound since the form started
            kind = body["service"]
            common.ask_to_verify(dispatcher, "marriage_book", "预约" + TYPE_LABELS.get(kind, "婚姻登记"), kind)
            return reset(SLOTS)
        dispatcher.utter(response="utter_marriage_backoffice_refused", message=exc.message)
        if exc.code in REASK:
            return [slot_set(name, None) for name in (*REASK[exc.code], "marriage_confirmed")] + [followup(FORM)]
        return reset(SLOTS)
    say_booked(dispatcher, appointment)
    return reset(SLOTS) + offer_rating("marriage_booking")


def say_booked(dispatcher: Dispatcher, a: dict) -> None:
    dispatcher.utter(
        response="utter_marriage_booked",
        number=a["number"],
        kind=kind_label({"marriage_type": a["service"], "marriage_divorce_stage": a["stage"]}),
        day=a["date_label"],
        start=a["start"],
        end=a["end"],
        office_name=a["office"]["name"],
        address=a["office"]["address"],
        office_phone=a["office"]["phone"],
        materials=numbered(a["materials"]),
    )


STOPPED = {  # what stopping a form leaves: a booking not made, an appointment kept as it was
    "marriage_cancel_form": "utter_marriage_cancel_kept",
    "marriage_reschedule_form": "utter_marriage_reschedule_kept",
}


@action("action_marriage_stop")
def stop(dispatcher: Dispatcher, tracker: Tracker, _domain: dict[str, Any]) -> list[dict]:
    dispatcher.utter(response=STOPPED.get(tracker.active_loop or "", "utter_marriage_stopped"))
    return [active_loop(None)] + reset(SLOTS)


@action("action_marriage_materials")
def materials(dispatcher: Dispatcher, tracker: Tracker, _domain: dict[str, Any]) -> list[dict]:
    """What to bring: for the kind of registration in hand (or named), else for every kind. A question about the
    divorce cooling-off period ("离婚冷静期怎么算", which the NLU takes for this one) gets how it is counted."""
    if COOLING_OFF.search(tracker.latest_text or "") and not re.search(r"带|材料|准备|证件", tracker.latest_text):
        dispatcher.utter(response="utter_marriage_cooling_off")
        return []
    try:
        lists = services.backoffice().get("/marriage/materials")["materials"]
    except BackofficeUnavailable:
        dispatcher.utter(response="utter_backoffice_down")
        return []
    kind = next(iter(tracker.entity_values("marriage_type")), None) or tracker.get_slot("marriage_type")
    if kind == "离婚":
        stage = tracker.get_slot("marriage_divorce_stage")
        keys = [f"离婚{stage}"] if stage else ["离婚申请", "离婚领证"]
    else:
        keys = [kind] if kind in lists else list(lists)
    heading = {
        "结婚": "结婚登记",
        "离婚申请": "提交离婚申请",
        "离婚领证": "冷静期满领离婚证",
        "补领": "补领结婚证/离婚证",
    }
    text = "\n\n".join(f"【{heading.get(k, k)}】要带：\n" + numbered(lists[k]) for k in keys if k in lists)
    dispatcher.utter(
        response="utter_marriage_materials",
        heading="办婚姻登记要带的材料如下（以登记处现场要求为准）：",
        materials=text,
    )
    return []
