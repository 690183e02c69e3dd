"""``cemetery_booking_form``: which cemetery, which day of the season, how many go, which gate and time, a yes.

The booker is always the verified resident (实名绑定), asked to verify before anything else. Each message is read
for every answer it gives (a cemetery's name, a day, 清明/冬至, how many go, a gate and time, a picked choice's
payload); each answer held is checked against the back-office; the next question offers the free choices as
buttons. A day with no place left for the party offers the other days with places and the waiting list.
"""

from __future__ import annotations

import re
from typing import Any

from actions import handbook, services
from actions.cemetery import common
from actions.cemetery.common import WAITLIST
from actions.dispatcher import Dispatcher
from actions.events import active_loop, followup, slot_set
from actions.executor import ActionRejected, action
from actions.forms import AnotherWay, FormCall, FormValidation, answers_not_taken, reset
from actions.handoff import request_handoff
from actions.marriage.common import NO, YES, button, date_in, idempotency_key
from actions.tracker import Tracker
from common.backoffice_client import BackofficeError, BackofficeUnavailable

FORM = "cemetery_booking_form"
SLOTS = ("cemetery_site", "cemetery_date", "cemetery_companions", "cemetery_slot", "cemetery_confirmed")
CHANGES = (
    (r"公墓|墓园|陵园|骨灰堂|地方", ("cemetery_site", "cemetery_date", "cemetery_slot")),
    (r"日期|日子|哪天|改天|换一天|换天", ("cemetery_date", "cemetery_slot")),
    (r"时段|时间|几点|门|入口", ("cemetery_slot",)),
    (r"人数|几个人|几位|带人", ("cemetery_companions", "cemetery_slot")),
)


def backoffice_down(call: FormCall) -> list[dict]:
    call.say("utter_cemetery_backoffice_down")
    request_handoff(call.dispatcher, "backoffice_down")
    return call.events + [active_loop(None), slot_set("requested_slot", None)]


def people(call: FormCall) -> int:
    return 1 + int(call.get("cemetery_companions") or 0)


class BookingForm(FormValidation):
    form = FORM
    asks_itself = True
    another_ways = {  # asked twice without an answer: the choices again, never only "找工作人员"
        "cemetery_site": AnotherWay("utter_cemetery_site_another_way", choices="site_choices"),
        "cemetery_date": AnotherWay("utter_cemetery_date_another_way", choices="date_choices"),
        "cemetery_slot": AnotherWay("utter_cemetery_slot_another_way", choices="slot_choices"),
        "cemetery_companions": AnotherWay("utter_cemetery_companions_another_way", choices="companion_choices"),
    }

    def required_slots(self, call: FormCall) -> list[str]:
        return list(SLOTS)

    def interrupt(self, call: FormCall) -> list[dict] | None:
        if call.requested is None and common.asks_whether(call.text):  # answered as the handbook answers it
            return handbook.answer(call.dispatcher, call.tracker, {}) + reset(SLOTS, end_form=True)
        if call.requested is None and common.looks_up(call.text):
            from actions.cemetery import manage  # manage builds on this module

            return manage.my_bookings(call.dispatcher, call.tracker, {}) + reset(SLOTS, end_form=True)
        if call.requested is None and not common.verified(call.tracker.sender_id):
            common.ask_to_verify(call.dispatcher, "cemetery_book", "预约祭扫")
            return call.events + reset(SLOTS, end_form=True)
        return None

    def backoffice_down(self, call: FormCall, exc: BackofficeUnavailable) -> list[dict]:
        return backoffice_down(call)

    # --- reading the answer: any slot a message gives ------------------------------------------------------------

    def slots_to_extract(self, call: FormCall) -> list[str]:
        return list(SLOTS)

    def extract_cemetery_site(self, call: FormCall) -> None:
        if (code := common.site_in(call.text)) and code != call.get("cemetery_site"):
            call.set("cemetery_site", code)
            call.clear("cemetery_date", "cemetery_slot")

    def extract_cemetery_date(self, call: FormCall) -> None:
        site = call.get("cemetery_site")
        if not site:
            return
        shown = common.availability(site)
        day = date_in(call) or common.festival_day(call.text, shown)
        if not day and call.requested == "cemetery_date" and common.wants_earliest(call.text):
            day = next((d["date"] for d in shown["days"] if d["open"] and d["free"] >= people(call)), None)
        if day and day != call.get("cemetery_date"):
            call.set("cemetery_date", day)
            call.clear("cemetery_slot")

    def extract_cemetery_companions(self, call: FormCall) -> None:
        asked = call.requested == "cemetery_companions"
        text = call.text
        if not asked and not re.search(r"带|一起|我们|一家|全家|个人|口人", text):
            return
        count = common.companions_in(text)
        if count is not None:
            call.set("cemetery_companions", float(count))
        elif asked and text and call.intent not in common.SIDE_INTENTS:
            site = common.cemetery(call.get("cemetery_site")) or {"companions_max": 3}
            call.say("utter_cemetery_bad_companions", limit=site["companions_max"])

    def extract_cemetery_slot(self, call: FormCall) -> None:
        if call.requested != "cemetery_slot" or not call.get("cemetery_date"):
            return
        text = call.text
        if re.search(r"候补|排队|等退|排一个|排上", text):
            call.set("cemetery_slot", WAITLIST)
            return
        day = common.day_of(call.get("cemetery_site"), call.get("cemetery_date"))
        if day is None:
            return
        chosen = common.slot_in(text, common.free_slots(day, people(call)))
        if chosen is not None:
            call.set("cemetery_slot", common.slot_value(chosen))

    def extract_cemetery_confirmed(self, call: FormCall) -> None:
        if call.requested != "cemetery_confirmed" or call.events:
            return
        text = call.text
        if call.intent == "affirm" or YES.match(text):
            call.set("cemetery_confirmed", True)
            return
        for pattern, slots in CHANGES:
            if re.search(pattern, text):
                call.clear(*slots)
                return
        if call.intent == "deny" or NO.match(text):
            call.say("utter_cemetery_ask_what_to_change")
            call.question_open = True

    def after_extraction(self, call: FormCall) -> list[dict] | None:
        if call.fresh and not call.events and not call.dispatcher.messages and call.intent in common.SIDE_INTENTS:
            raise ActionRejected(f"validate_{FORM}", "a side question: the rules answer it")
        return None

    # --- checking the answers held, and asking the next question ----------------------------------------------

    def slots_to_validate(self, call: FormCall) -> set[str]:
        return set(SLOTS) - {"cemetery_confirmed"}

    def validate_cemetery_site(self, call: FormCall, value: str) -> dict:
        return {} if common.cemetery(value) else {"cemetery_site": None}

    def validate_cemetery_date(self, call: FormCall, value: str) -> dict:
        day = common.day_of(call.get("cemetery_site"), value)
        if day is None:  # not a day of the season: no booking needed
            season = common.availability(call.get("cemetery_site"))["season"]
            call.say("utter_cemetery_day_not_bookable", message=common.not_a_booking_day(season))
            return {"cemetery_date": None, "cemetery_slot": None}
        if not day["open"]:
            call.say("utter_cemetery_day_not_bookable", message=day["reason"])
            return {"cemetery_date": None, "cemetery_slot": None}
        return {}

    def validate_cemetery_companions(self, call: FormCall, value: float) -> dict:
        site = common.cemetery(call.get("cemetery_site"))
        if site and not 0 <= int(value) <= site["companions_max"]:
            call.say("utter_cemetery_bad_companions", limit=site["companions_max"])
            return {"cemetery_companions": None}
        return {}

    def validate_cemetery_slot(self, call: FormCall, value: str) -> dict:
        day = common.day_of(call.get("cemetery_site"), call.get("cemetery_date"))
        if day is None:
            return {"cemetery_slot": None}
        if value == WAITLIST:
            return {} if not common.free_slots(day, people(call)) else {"cemetery_slot": None}
        s = common.slot_of(day, value)
        return {} if s and s["free"] >= people(call) else {"cemetery_slot": None}

    def site_choices(self, call: FormCall) -> list[dict]:
        return [button(c["name"], c["name"]) for c in common.cemeteries()]

    def date_choices(self, call: FormCall) -> list[dict]:
        shown = common.availability(call.get("cemetery_site"))
        days = [d for d in shown["days"] if d["open"] and d["free"] >= people(call)][:8]
        return [common.day_button(d, shown["season"]["name"]) for d in days]

    def slot_choices(self, call: FormCall) -> list[dict]:
        day = common.day_of(call.get("cemetery_site"), call.get("cemetery_date"))
        return [common.slot_button(s) for s in common.free_slots(day, people(call))] if day else []

    def companion_choices(self, call: FormCall) -> list[dict]:
        return [button("就我一个", "0"), button("带1位", "1"), button("带2位", "2")]

    def ask_cemetery_site(self, call: FormCall) -> list[dict]:
        sites = common.cemeteries()
        missed = answers_not_taken(call.tracker.events, "cemetery_site") > 0  # not "好的，我帮您预约" again
        return call.ask(
            "cemetery_site",
            "utter_cemetery_ask_site_again" if missed else "utter_cemetery_ask_site",
            examples="".join(f"“{common.short_name(c['name'])}”" for c in sites),
            buttons=[button(f"{c['name']}（{c['address']}）", c["name"]) for c in sites],
        )

    def ask_cemetery_date(self, call: FormCall) -> list[dict]:
        site = common.cemetery(call.get("cemetery_site"))
        shown = common.availability(site["code"])
        season = shown["season"]
        bookable = [d for d in shown["days"] if d["open"]]
        if not bookable:
            first = next((d for d in shown["days"] if not d["open"]), None)
            call.say("utter_cemetery_not_open_yet", message=first["reason"] if first else "")
            return call.events + reset(SLOTS, end_form=True)
        with_places = [d for d in bookable if d["free"] >= people(call)]
        if not with_places:
            call.say("utter_cemetery_no_days", site_name=site["name"])
        offered = (with_places or bookable)[:8]
        return call.ask(
            "cemetery_date",
            "utter_cemetery_ask_date",
            season_note=f"{season['name']}前后去祭扫要预约。",
            site_name=site["name"],
            buttons=[common.day_button(d, season["name"]) for d in offered],
            **common.date_examples(season, offered),
        )

    def ask_cemetery_companions(self, call: FormCall) -> list[dict]:
        site = common.cemetery(call.get("cemetery_site"))
        return call.ask("cemetery_companions", "utter_cemetery_ask_companions", limit=site["companions_max"])

    def ask_cemetery_slot(self, call: FormCall) -> list[dict]:
        site = common.cemetery(call.get("cemetery_site"))
        day = common.day_of(site["code"], call.get("cemetery_date"))
        fits = common.free_slots(day, people(call))
        if fits:
            return call.ask(
                "cemetery_slot",
                "utter_cemetery_ask_slot",
                day=day["label"],
                site_name=site["name"],
                buttons=[common.slot_button(s) for s in fits],
            )
        shown = common.availability(site["code"])
        others = [d for d in shown["days"] if d["open"] and d["date"] != day["date"] and d["free"] >= people(call)]
        call.say(
            "utter_cemetery_day_full",
            day=day["label"],
            site_name=site["name"],
            buttons=[common.day_button(d, shown["season"]["name"]) for d in others[:5]]
            + [button(f"排{day['label']}的候补（现在有{day['waiting']}人在排）", WAITLIST)],
        )
        return call.finish("cemetery_slot")

    def ask_cemetery_confirmed(self, call: FormCall) -> list[dict]:
        site = common.cemetery(call.get("cemetery_site"))
        day = common.day_of(site["code"], call.get("cemetery_date"))
        companions = int(call.get("cemetery_companions") or 0)
        who = f"共{1 + companions}人（您本人" + (f"和{companions}位同行的人）" if companions else "）")
        if call.get("cemetery_slot") == WAITLIST:
            summary = f"公墓：{site['name']}\n日期：{day['label']}\n人数：{who}"
            return call.ask(
                "cemetery_confirmed",
                "utter_cemetery_ask_waitlist_confirm",
                day=day["label"],
                site_name=site["name"],
                summary=summary,
            )
        s = common.slot_of(day, call.get("cemetery_slot"))
        summary = (
            f"公墓：{site['name']}（{site['address']}）\n日期：{day['label']}\n"
            f"入园：{s['gate_name']} {s['start']}-{s['end']}\n人数：{who}"
        )
        return call.ask("cemetery_confirmed", "utter_cemetery_ask_confirm", summary=summary)


@action("action_cemetery_submit")
def submit(dispatcher: Dispatcher, tracker: Tracker, _domain: dict[str, Any]) -> list[dict]:
    slots = {name: tracker.get_slot(name) for name in SLOTS}
    if slots["cemetery_confirmed"] is not True or not all(
        slots[n] is not None for n in ("cemetery_site", "cemetery_date", "cemetery_slot")
    ):
        return reset(SLOTS)
    companions = int(slots["cemetery_companions"] or 0)
    body: dict[str, Any] = {
        "openid": tracker.sender_id,
        "cemetery_code": slots["cemetery_site"],
        "date": slots["cemetery_date"],
        "companions": companions,
    }
    waitlist = slots["cemetery_slot"] == WAITLIST
    try:
        site = common.cemetery(slots["cemetery_site"])
        if not waitlist:
            day = common.day_of(slots["cemetery_site"], slots["cemetery_date"])
            chosen = common.slot_of(day, slots["cemetery_slot"]) if day else None
            gate = next((g["code"] for g in site["gates"] if chosen and g["name"] == chosen["gate_name"]), None)
            body.update(gate_code=gate or "", start=chosen["start"] if chosen else "")
        key = idempotency_key(tracker, FORM, body)
        made = services.backoffice().post("/cemetery/waitlist" if waitlist else "/cemetery/bookings", body, key)
    except BackofficeUnavailable:
        dispatcher.utter(response="utter_cemetery_booking_unconfirmed")
        request_handoff(dispatcher, "backoffice_down", priority="urgent")
        return [slot_set("cemetery_confirmed", None)]
    except BackofficeError as exc:
        dispatcher.utter(response="utter_cemetery_backoffice_refused", message=exc.message)
        if exc.code in ("slot_full", "places_free"):
            return [slot_set("cemetery_slot", None), slot_set("cemetery_confirmed", None), followup(FORM)]
        return reset(SLOTS)
    if waitlist:
        dispatcher.utter(
            response="utter_cemetery_waitlisted",
            day=made["date_label"],
            site_name=made["cemetery"]["name"],
            people=made["people"],
            position=made["position"],
        )
    else:
        dispatcher.utter(
            response="utter_cemetery_booked",
            number=made["number"],
            day=made["date_label"],
            start=made["start"],
            end=made["end"],
            site_name=made["cemetery"]["name"],
            gate_name=made["gate"]["name"],
            address=made["cemetery"]["address"],
            people=made["people"],
            companions_note=f"和{companions}位同行的人" if companions else "",
            gate_url=made["gate_url"],
        )
    return reset(SLOTS)
