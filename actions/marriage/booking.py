"""Booking a registration: the form's validation (which also asks each question), submit, stop, materials."""
from __future__ import annotations

import re
from datetime import date
from typing import Any

from actions import services
from actions.dispatcher import Dispatcher
from actions.feedback import offer_rating
from actions.events import active_loop, followup, slot_set
from actions.executor import action
from actions.handoff import request_handoff
from actions.marriage import common
from actions.marriage.common import Turn, chinese_date, gender_of, numbered, valid_id
from actions.marriage.schedule import Where, read_answer, settle_date, settle_slot
from actions.tracker import Tracker
from common.backoffice_client import BackofficeError, BackofficeUnavailable
from common.masking import mask_id_number, mask_phone

FORM = "marriage_booking_form"
TYPES = ("结婚", "离婚", "补领")
TYPE_LABELS = {"结婚": "结婚登记", "离婚": "离婚登记", "补领": "补领结婚证/离婚证"}
PEOPLE = ("marriage_party1_name", "marriage_party1_id", "marriage_party2_name", "marriage_party2_id")
PLACE = ("marriage_office", "marriage_date", "marriage_slot")
SLOTS = ("marriage_type", "marriage_divorce_stage", *PLACE, *PEOPLE, "marriage_time_of_day", "marriage_phone",
         "marriage_confirmed", "marriage_choices", "marriage_appointment")
NOBODY = "无"  # a re-issue booked by one party alone
LEGAL_AGE = {"男": 22, "女": 20}
CHANGES = (  # words in "改日期" / "电话不对" → what to ask again
    (r"日期|哪天|日子|号数", ("marriage_date", "marriage_slot")),
    (r"时间|时段|几点|钟点", ("marriage_slot", "marriage_time_of_day")),
    (r"登记处|地点|地方|登记中心|服务点", ("marriage_office", "marriage_slot")),
    (r"姓名|名字|身份证|证件", PEOPLE),
    (r"电话|手机", ("marriage_phone",)),
    (r"事项|类型|办什么", ("marriage_type", "marriage_divorce_stage")),
)


def reset() -> list[dict]:
    return [slot_set(name, None) for name in SLOTS] + [slot_set("requested_slot", None)]


def backoffice_down(turn: Turn) -> list[dict]:
    """Say plainly that the system is unreachable, hand over to a person, and leave the form."""
    turn.say("utter_marriage_backoffice_down")
    request_handoff(turn.dispatcher, "backoffice_down")
    return turn.events + [active_loop(None), slot_set("requested_slot", None)]


def steps(turn: Turn) -> list[str]:
    kind = turn.get("marriage_type")
    out = ["marriage_type"]
    if kind == "离婚":
        out.append("marriage_divorce_stage")
    certificate = kind == "离婚" and turn.get("marriage_divorce_stage") == "领证"
    out += [*PEOPLE, *PLACE] if certificate else [*PLACE, *PEOPLE]
    return out + ["marriage_phone", "marriage_confirmed"]


@action("validate_marriage_booking_form")
def validate_booking(dispatcher: Dispatcher, tracker: Tracker, _domain: dict[str, Any]) -> list[dict]:
    turn = Turn.of(dispatcher, tracker)
    try:
        read_answer_for_booking(turn)
        if turn.fresh and not turn.events and not dispatcher.messages and turn.intent in common.SIDE_INTENTS:
            return turn.finish(turn.get("requested_slot"), consumed=False)  # the rules answer the side question
        return settle(turn)
    except BackofficeUnavailable:
        return backoffice_down(turn)


# --- reading the resident's answer ---------------------------------------------------------------------------------

def read_answer_for_booking(turn: Turn) -> None:
    if not turn.fresh:
        return
    asked, text = turn.get("requested_slot"), turn.text
    before = len(turn.events)
    _read_kind(turn, asked, text)
    _read_office(turn, asked, text)
    if asked not in (*PEOPLE, "marriage_phone"):  # digits of an ID number or a phone are not a date
        office = _office(turn)
        if office:
            read_answer(turn, _where(turn, office))
        elif turn.entity("date"):
            turn.set("marriage_date", str(turn.entity("date")))
    _read_people(turn, asked, text)
    phone = turn.entity("phone") or (common.phone_in(text) if asked == "marriage_phone" or "电话" in text or "手机" in text else None)
    if phone:
        turn.set("marriage_phone", phone)
    elif asked == "marriage_phone" and text and turn.intent not in common.SIDE_INTENTS:
        turn.say("utter_marriage_bad_phone")
    if asked == "marriage_confirmed":
        _read_confirmation(turn, text, changed=len(turn.events) > before)
    elif len(turn.events) == before:
        _read_change_request(turn, text)


def _read_kind(turn: Turn, asked: str | None, text: str) -> None:
    if asked == "marriage_type" and not turn.entity("marriage_type"):
        kind = turn.choice() or next((t for t, word in (("离婚", "离婚"), ("补领", "补"), ("结婚", "结婚")) if word in text), None)
        if kind in TYPES:
            turn.set("marriage_type", kind)
    if turn.entity("marriage_type") and turn.get("marriage_type") != "离婚":
        turn.clear("marriage_divorce_stage")
    stage = None
    if asked == "marriage_divorce_stage":
        stage = turn.choice()
    if not stage and re.search(r"领证|领离婚证|拿证|拿离婚证|冷静期(满|过|到)|第二次", text):
        stage = "领证"
    elif not stage and asked == "marriage_divorce_stage" and re.search(r"申请|第一次|提交|递交", text):
        stage = "申请"
    if stage and (turn.get("marriage_type") == "离婚" or asked == "marriage_divorce_stage"):
        turn.set("marriage_divorce_stage", stage)


def _read_office(turn: Turn, asked: str | None, text: str) -> None:
    named = turn.entity("office")
    if asked != "marriage_office" and not named:
        return
    candidates = common.offices()
    code = turn.choice() if asked == "marriage_office" else None
    if not code:
        code = match_office(candidates, str(named or text), turn.entity("district"))
    if code and code != turn.get("marriage_office"):
        turn.set("marriage_office", code)
        if turn.get("marriage_slot"):
            turn.clear("marriage_slot")


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


def _read_people(turn: Turn, asked: str | None, text: str) -> None:
    if asked in ("marriage_party1_name", "marriage_party2_name"):
        if asked == "marriage_party2_name" and turn.get("marriage_type") == "补领" and (
                turn.intent == "deny" or re.search(r"就我|一个人|只有我|不来|不一起|单独", text)):
            turn.set("marriage_party2_name", NOBODY)
            turn.set("marriage_party2_id", NOBODY)
            return
        name = common.name_in(text)
        if name:
            turn.set(asked, name)
        elif text and turn.intent not in common.SIDE_INTENTS:
            turn.say("utter_marriage_bad_name")
    elif asked in ("marriage_party1_id", "marriage_party2_id"):
        number = turn.entity("id_number") or common.id_number_in(text)
        if number and valid_id(str(number).upper()):
            turn.set(asked, str(number).upper())
        elif number or (text and turn.intent not in common.SIDE_INTENTS):
            turn.say("utter_marriage_bad_id", masked=mask_id_number(str(number or text)))


def _read_confirmation(turn: Turn, text: str, changed: bool) -> None:
    if changed:
        return  # "日期改成周五": the new value was read; the summary is shown again
    if turn.intent == "affirm" or common.YES.match(text):
        turn.set("marriage_confirmed", True)
    elif not _read_change_request(turn, text) and (turn.intent == "deny" or common.NO.match(text)):
        turn.say("utter_marriage_ask_what_to_change")
        turn.question_open = True


def _read_change_request(turn: Turn, text: str) -> bool:
    if not text or not re.search(r"改|换|不对|错", text):
        return False
    cleared = False
    for pattern, names in CHANGES:
        if re.search(pattern, text):
            turn.clear(*names)
            cleared = True
    return cleared


# --- checking the values and asking the next question --------------------------------------------------------------

def _office(turn: Turn) -> dict | None:
    code = turn.get("marriage_office")
    return next((o for o in common.offices() if o["code"] == code), None) if code else None


def _where(turn: Turn, office: dict) -> Where:
    return Where(office, *_certificate_window(turn))


def _certificate_window(turn: Turn, announce: bool = False) -> tuple[str | None, str | None]:
    """For a divorce certificate: the days it may be collected, from the couple's application. Without an
    application on record (or past day 60) the resident is told why, and the visit becomes the application."""
    if not (turn.get("marriage_type") == "离婚" and turn.get("marriage_divorce_stage") == "领证"):
        return None, None
    ids = [turn.get("marriage_party1_id"), turn.get("marriage_party2_id")]
    if not all(ids):
        return None, None
    body = {"parties": [{"name": turn.get("marriage_party1_name") or "当事人", "id_number": ids[0]},
                        {"name": turn.get("marriage_party2_name") or "当事人", "id_number": ids[1]}]}
    try:
        window = services.backoffice().post("/marriage/divorce-window", body)
    except BackofficeError as exc:
        turn.say("utter_marriage_backoffice_refused", message=exc.message + "\n这次先帮您预约提交离婚申请。")
        turn.set("marriage_divorce_stage", "申请")
        return None, None
    if announce:
        turn.say("utter_marriage_divorce_window", application=chinese_date(window["application_date"]),
                 first=chinese_date(window["first_date"]), last=chinese_date(window["last_date"]))
    return window["first_date"], window["last_date"]


def settle(turn: Turn) -> list[dict]:
    kind = turn.get("marriage_type")
    if kind not in TYPES:
        turn.clear("marriage_type")
        return turn.ask("marriage_type", "utter_marriage_ask_type", list(TYPES))
    if kind == "离婚" and turn.get("marriage_divorce_stage") not in ("申请", "领证"):
        return turn.ask("marriage_divorce_stage", "utter_marriage_ask_divorce_stage", ["申请", "领证"])
    for step in steps(turn):
        question = _settle_step(turn, step)
        if question is not None:
            return question
    return turn.finish(None)


def _settle_step(turn: Turn, step: str) -> list[dict] | None:
    kind = turn.get("marriage_type")
    if step == "marriage_office":
        _certificate_window(turn)  # no application on record: say so before asking anything more
        office = _office(turn)
        if office and kind in office["services"]:
            return None
        if office:
            turn.say("utter_marriage_office_no_service", office_name=office["name"], service=TYPE_LABELS[kind])
            turn.clear("marriage_office")
        return _ask_office(turn, kind)
    if step == "marriage_date":
        first, last = _certificate_window(turn, announce=not turn.get("marriage_date"))
        return settle_date(turn, Where(_office(turn), first, last))
    if step == "marriage_slot":
        return settle_slot(turn, _where(turn, _office(turn)))
    if step in PEOPLE:
        return _settle_person(turn, step)
    if step == "marriage_phone":
        phone = turn.get("marriage_phone")
        if phone and common.PHONE_IN_TEXT.fullmatch(phone):
            return None
        turn.clear("marriage_phone")
        return turn.ask("marriage_phone", "utter_marriage_ask_phone")
    if step == "marriage_confirmed":
        if turn.get("marriage_confirmed") is True:
            return None
        if turn.question_open:
            return turn.finish("marriage_confirmed")
        return turn.ask("marriage_confirmed", "utter_marriage_ask_confirm", summary=summary(turn))
    return None


def _ask_office(turn: Turn, kind: str) -> list[dict]:
    offices = common.offices(kind)
    district = turn.get("district") or turn.entity("district")
    if district:
        offices.sort(key=lambda o: o["name"][:2] not in str(district))
    hint = f"离{district}近的排在前面。" if district else ""
    lines = [f"{o['name']}（{o['address']}）" for o in offices]
    return turn.ask("marriage_office", "utter_marriage_ask_office", [o["code"] for o in offices], choices=numbered(lines), hint=hint)


def _settle_person(turn: Turn, step: str) -> list[dict] | None:
    value = turn.get(step)
    position = step[len("marriage_party")]
    name = turn.get(f"marriage_party{position}_name")
    if value == NOBODY and position == "2" and turn.get("marriage_type") == "补领":
        return None
    if step.endswith("_id") and value:
        if not valid_id(value):
            turn.say("utter_marriage_bad_id", masked=mask_id_number(value))
            turn.clear(step)
        elif position == "2" and value == turn.get("marriage_party1_id"):
            turn.say("utter_marriage_same_person")
            turn.clear(step)
        elif turn.get("marriage_type") == "结婚" and turn.get("marriage_date") and _under_age(turn, name or "", value):
            turn.clear(step)
        else:
            return None
    elif value:
        return None
    if step == "marriage_party1_name":
        return turn.ask(step, "utter_marriage_ask_party1_name")
    if step == "marriage_party2_name":
        if turn.get("marriage_type") == "补领":
            return turn.ask(step, "utter_marriage_ask_reissue_party2")
        return turn.ask(step, "utter_marriage_ask_party2_name")
    return turn.ask(step, f"utter_marriage_ask_party{position}_id", name=name or "当事人")


def _under_age(turn: Turn, name: str, id_number: str) -> bool:
    day = date.fromisoformat(turn.get("marriage_date"))
    gender = gender_of(id_number)
    need = LEGAL_AGE[gender]
    if common.age_on(id_number, day) >= need:
        return False
    birth = date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    reached = birth.replace(year=birth.year + need, day=min(birth.day, 28) if birth.month == 2 else birth.day)
    turn.say("utter_marriage_under_age",
             message=f"按照法律规定，结婚年龄{gender}方不能早于{need}周岁。{name}到{reached.year}年{chinese_date(reached.isoformat())}"
                     f"才满{need}周岁，那天以后才能办理结婚登记。如果身份证号发错了，请重新发一次。")
    return True


def kind_label(slots: dict) -> str:
    if slots.get("marriage_type") == "离婚":
        return "离婚登记（提交申请）" if slots.get("marriage_divorce_stage") == "申请" else "离婚登记（冷静期满领证）"
    return TYPE_LABELS.get(slots.get("marriage_type") or "", "")


def summary(turn: Turn) -> str:
    office = _office(turn) or {}
    start, iso = turn.get("marriage_slot"), turn.get("marriage_date")
    day = common.days_from(office["code"], iso, 1, until=iso)[0]
    end = next((s["end"] for s in day["slots"] if s["start"] == start), "")
    people = [(turn.get(f"marriage_party{i}_name"), turn.get(f"marriage_party{i}_id")) for i in (1, 2)]
    shown = "、".join(f"{n}（身份证 {mask_id_number(i)}）" for n, i in people if n and n != NOBODY)
    return "\n".join([
        f"事项：{kind_label(turn.slots)}",
        f"登记处：{office.get('name', '')}（{office.get('address', '')}）",
        f"时间：{chinese_date(iso)} {start}-{end}",
        f"当事人：{shown}",
        f"手机：{mask_phone(turn.get('marriage_phone') or '')}",
    ])


# --- after the form ------------------------------------------------------------------------------------------------

REASK = {  # a refusal at submit time → the answers to ask again
    "slot_full": ("marriage_slot",),
    "office_closed": ("marriage_date", "marriage_slot"),
    "date_out_of_range": ("marriage_date", "marriage_slot"),
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
    parties = [{"name": s.get(f"marriage_party{i}_name"), "id_number": s.get(f"marriage_party{i}_id")} for i in (1, 2)
               if s.get(f"marriage_party{i}_name") not in (None, NOBODY)]
    return {"openid": tracker.sender_id, "office_code": s.get("marriage_office"), "service": s.get("marriage_type"),
            "stage": s.get("marriage_divorce_stage") or "", "date": s.get("marriage_date"), "start": s.get("marriage_slot"),
            "parties": parties, "phone": s.get("marriage_phone")}


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
        dispatcher.utter(response="utter_marriage_backoffice_refused", message=exc.message)
        if exc.code in REASK:
            return [slot_set(name, None) for name in (*REASK[exc.code], "marriage_confirmed")] + [followup(FORM)]
        return reset()
    say_booked(dispatcher, appointment)
    return reset() + offer_rating("marriage_booking")


def say_booked(dispatcher: Dispatcher, a: dict) -> None:
    dispatcher.utter(response="utter_marriage_booked", number=a["number"], kind=kind_label(
        {"marriage_type": a["service"], "marriage_divorce_stage": a["stage"]}), day=chinese_date(a["date"]), start=a["start"],
        end=a["end"], office_name=a["office"]["name"], address=a["office"]["address"], office_phone=a["office"]["phone"],
        materials=numbered(a["materials"]))


@action("action_marriage_stop")
def stop(dispatcher: Dispatcher, _tracker: Tracker, _domain: dict[str, Any]) -> list[dict]:
    dispatcher.utter(response="utter_marriage_stopped")
    return [active_loop(None)] + reset()


@action("action_marriage_materials")
def materials(dispatcher: Dispatcher, tracker: Tracker, _domain: dict[str, Any]) -> list[dict]:
    """What to bring: for the kind of registration in hand (or named), else for every kind."""
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
    heading = {"结婚": "结婚登记", "离婚申请": "提交离婚申请", "离婚领证": "冷静期满领离婚证", "补领": "补领结婚证/离婚证"}
    text = "\n\n".join(f"【{heading.get(k, k)}】要带：\n" + numbered(lists[k]) for k in keys if k in lists)
    dispatcher.utter(response="utter_marriage_materials", heading="办婚姻登记要带的材料如下（以登记处现场要求为准）：", materials=text)
    return []
