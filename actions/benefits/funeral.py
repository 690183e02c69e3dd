"""惠民殡葬: the pre-check form (the deceased's hukou district, the household's status, the way of burial),
the application form for a verified resident (which benefit, the deceased, the relation, a read-back),
submission (or the outbox) and progress. What qualifies and how much is the back-office's answer
(``POST /benefits/funeral/precheck``); the forms only read the resident's words."""

from __future__ import annotations

import re
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from actions import events, identity, services
from actions.assistance import parsing, registry
from actions.assistance.flow import AssistanceForm, entity
from actions.benefits import common
from actions.dispatcher import Dispatcher
from actions.executor import action
from actions.forms import FormCall, reset
from actions.tracker import Tracker
from common.backoffice_client import BackofficeError, BackofficeUnavailable
from common.dates import full_date
from common.masking import ID_NUMBER_RE, is_valid_id_number, mask_id_number

FACTS = ("funeral_hukou", "funeral_status", "funeral_burial")
DECEASED = ("funeral_deceased_name", "funeral_deceased_id", "funeral_death_date", "funeral_relation")
APPLY_SLOTS = ("funeral_kind", *FACTS, *DECEASED, "funeral_confirmed")
TITLES = {"funeral_waiver": "基本殡葬服务费减免", "eco_burial": "生态安葬补贴"}
NOT_OF_CITY, NO_STATUS, UNDECIDED = "外地", "无", "未定"
RESUME = ("/funeral_subsidy_apply", "殡葬减免和生态安葬补贴申请")
DATE_RE = re.compile(r"(?:(\d{4})\s*[-年/.]\s*)?(\d{1,2})\s*[-月/.]\s*(\d{1,2})")
RELATIVE_DAYS = {"今天": 0, "昨天": 1, "前天": 2, "大前天": 3}
NAME_RE = re.compile(r"[\u4e00-\u9fff·]{2,6}")
# "帮我申请", "我要办", "给我妈申请", "申请一下": asked to apply, even with a 吗 (帮我办一下好吗)
# "帮我算算", "给我测一下", "算一算": asked to work out the family's benefits (the pre-check), not the policy
WORKS_OUT = re.compile(r"(帮|给|替)我.{0,3}(算|测|核算|预估|评估)|算一?算")
ASKS_TO_APPLY = re.compile(
    r"帮.{0,6}?(申请|办|报|提交|递|弄|做)|(我要|我想|想在这里|直接)(申请|办|领)|(给|替).{0,4}申请|^申请"
)


@cache
def _words() -> dict[str, Any]:
    return yaml.safe_load((Path(__file__).with_name("words.yaml")).read_text(encoding="utf-8"))


def _first(text: str, table: dict[str, list[str]]) -> str | None:
    return next((key for key, phrases in table.items() if any(p in text for p in phrases)), None)


def tells_a_death(text: str) -> bool:
    """The message tells that someone has died (我妈昨天走了, 老伴去世了): condolence before anything else; not a
    death long past or one told on the way to a new marriage (我老伴走了好几年了，想去把证领了)."""
    words = _words()
    return any(word in text for word in words["death"]) and not any(word in text for word in words["not_grief"])


def asks_about_it(text: str) -> bool:
    """A question about the benefits (殡葬费用能减免吗, 政府有什么补贴吗) rather than a request to apply: the pre-check
    answers it, with no verification, whatever the NLU read."""
    return not text.startswith("/") and parsing.is_question(text) and not ASKS_TO_APPLY.search(parsing.plain(text))


def asks_to_work_out(text: str) -> bool:
    """A request to work out what the family gets (我爸刚走 帮我算算丧葬费能减多少): the pre-check answers it, whatever
    the NLU read (a death told and a fee named can read as a handbook question)."""
    return not text.startswith("/") and bool(WORKS_OUT.search(parsing.plain(text)))


def hukou(text: str) -> str | None:
    if any(w in text for w in _words()["not_of_city"]):
        return NOT_OF_CITY
    return registry.district_in(text)


def status(text: str, intent: str | None) -> str | None:
    if intent == "deny" or re.match(r"^\s*(不|没|都不|都没|也不)", text):
        return NO_STATUS
    return _first(text, _words()["statuses"])


def burial(text: str) -> str | None:
    return _first(text, _words()["burials"])


def kind(text: str) -> str | None:
    return _first(text, _words()["kinds"])


def name(text: str) -> str | None:
    for prefix in _words()["name_prefixes"]:
        text = text.replace(prefix, "")
    found = NAME_RE.findall(text)
    return found[0] if len(found) == 1 else None


def death_date(text: str, found: Any, today: date) -> str | None:
    """An ISO date not after today: the NLU's date entity, a written date (12月1号, 2026-12-01) or 今天/昨天/前天."""
    if found:
        try:
            day = date.fromisoformat(str(found))
        except ValueError:
            day = None
        if day and day > today:  # "12月1号" said in January: last year's
            day = day.replace(year=day.year - 1)
        return day.isoformat() if day and day <= today else None
    for word, days in sorted(RELATIVE_DAYS.items(), key=lambda kv: -len(kv[0])):
        if word in text:
            return date.fromordinal(today.toordinal() - days).isoformat()
    m = DATE_RE.search(text)
    if not m:
        return None
    year = int(m.group(1)) if m.group(1) else today.year
    try:
        day = date(year, int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None
    if day > today and not m.group(1):
        day = day.replace(year=year - 1)
    return day.isoformat() if day <= today else None


def precheck(slots: dict[str, Any]) -> dict[str, Any]:
    body = {
        "district": slots["funeral_hukou"],
        "status": slots.get("funeral_status") or NO_STATUS,
        "burial": slots.get("funeral_burial") or UNDECIDED,
    }
    return services.backoffice().post("/benefits/funeral/precheck", body)


class FuneralForm(AssistanceForm):
    """A funeral form: its questions are ``utter_funeral_ask_<name>``; it reads each answer itself."""

    def ask(self, call: FormCall, slot: str) -> list[dict] | None:
        own = getattr(self, f"ask_{slot}", None)
        if own is not None:
            return own(call)
        return call.ask(slot, "utter_funeral_ask_" + slot.removeprefix("funeral_"))

    def backoffice_down(self, call: FormCall, exc: BackofficeUnavailable) -> list[dict]:
        call.drop_replies()
        call.say("utter_backoffice_down")
        return self.end_form()

    def prefill(self, call: FormCall) -> None:
        """Facts the message that started the form already tells (我妈是普陀的低保户 打算海葬)."""
        text = "" if call.text.startswith("/") else call.text
        for slot, value in (("funeral_hukou", hukou(text)), ("funeral_burial", burial(text))):
            if value and call.get(slot) is None:
                call.set(slot, value, announce=True)
        said = _first(text, {k: v for k, v in _words()["statuses"].items() if k != NO_STATUS})
        if said and call.get("funeral_status") is None:
            call.set("funeral_status", said, announce=True)

    def _unclear(self, call: FormCall, slot: str, value: Any, response: str = "utter_funeral_not_understood") -> dict:
        if value is None:
            call.say(response)
        return {slot: value}

    def extract_funeral_hukou(self, call: FormCall) -> dict:
        found = self._unclear(call, "funeral_hukou", hukou(call.text), "utter_funeral_unknown_district")
        if found["funeral_hukou"] == NOT_OF_CITY:  # neither benefit: nothing else to ask
            found.update({"funeral_status": NO_STATUS, "funeral_burial": UNDECIDED})
        return found

    def extract_funeral_status(self, call: FormCall) -> dict:
        return self._unclear(call, "funeral_status", status(call.text, call.intent))

    def extract_funeral_burial(self, call: FormCall) -> dict:
        return self._unclear(call, "funeral_burial", burial(call.text))


class CheckForm(FuneralForm):
    """``validate_funeral_check_form``: hukou district, household status, way of burial."""

    form = "funeral_check_form"
    slots = FACTS
    questions = FACTS
    started_by = "funeral_subsidy_eligibility"
    own_actions = ("action_funeral_identity", "action_answer_handbook")  # they send a message here unread

    def after_extraction(self, call: FormCall) -> list[dict] | None:
        if call.requested is None and call.fresh:  # a new pre-check: forget an earlier one's answers
            for slot in FACTS:
                call.set(slot, None)
            call.say("utter_funeral_condolence")
            self.prefill(call)
        return super().after_extraction(call)


def _estimate_lines(answer: dict[str, Any], programmes: tuple[str, ...]) -> str:
    lines = []
    for programme in programmes:
        estimate = answer[programme]
        if estimate["eligible"]:
            verdict = f"可以{'减免' if programme == 'funeral_waiver' else '领'}，约{estimate['amount']}元"
        elif estimate["eligible"] is None:
            verdict = "要看安葬方式"
        else:
            verdict = "不符合"
        lines.append(f"【{TITLES[programme]}】{verdict}。{estimate['reasons'][0]['text']}")
    return "\n".join(lines)


@action("action_funeral_precheck")
def explain(dispatcher: Dispatcher, tracker: Tracker, _domain: dict[str, Any]) -> list[dict]:
    """The back-office's estimate for both benefits, with reasons, amounts and documents."""
    if any(tracker.slots.get(slot) is None for slot in FACTS):
        return reset(FACTS, requested=False)  # stopped before it was complete
    try:
        answer = precheck(tracker.slots)
    except BackofficeUnavailable:
        dispatcher.utter(response="utter_backoffice_down")
        return []
    except BackofficeError as exc:
        dispatcher.utter(exc.message)
        return reset(FACTS, requested=False)
    eligible = [p for p in TITLES if answer[p]["eligible"]]
    docs = "\n".join(f"{TITLES[p]}：{'、'.join(d['name'] for d in answer['documents'][p])}" for p in eligible)
    text = "按您说的情况：\n\n" + _estimate_lines(answer, tuple(TITLES))
    if docs:
        text += f"\n\n要准备的材料：\n{docs}"
    text += f"\n\n{answer['caveat']}\n（依据：{'；'.join(dict.fromkeys(answer['source'].values()))}）"
    if eligible:
        text += "\n要申请的话，点“帮我申请”，我一步一步帮您办。"
    buttons = [{"title": "帮我申请", "payload": "/funeral_subsidy_apply"}] if eligible else []
    dispatcher.utter(text, buttons=buttons)
    return []  # the answers stay for an application that follows


@action("action_funeral_identity")
def identify(dispatcher: Dispatcher, tracker: Tracker, _domain: dict[str, Any]) -> list[dict]:
    """Only a verified resident applies: an unverified one is asked to verify before the first question. A question
    the NLU read as applying (我老伴走了 殡葬费用能减免吗) gets the pre-check instead, which needs no verification."""
    if asks_about_it(tracker.latest_text):
        return [events.followup(CheckForm.form)]
    try:
        services.backoffice().get(f"/residents/by-openid/{tracker.sender_id}")
    except BackofficeUnavailable:
        dispatcher.utter(response="utter_backoffice_down")
        return [events.slot_set("funeral_identity", "not_verified")]
    except BackofficeError as exc:
        if exc.code != identity.NOT_BOUND:
            raise
        identity.ask_to_verify(dispatcher, *RESUME)
        return [events.slot_set("funeral_identity", "not_verified")]
    return [events.slot_set("funeral_identity", "verified")]


class ApplyForm(FuneralForm):
    """``validate_funeral_apply_form``: which benefit, the facts it needs (kept from a pre-check just made), the
    deceased, the relation, the read-back. A case the back-office's rules would refuse ends the form early,
    with its reason."""

    form = "funeral_apply_form"
    slots = APPLY_SLOTS
    questions = APPLY_SLOTS
    started_by = "funeral_subsidy_apply"
    own_actions = ("action_funeral_identity",)
    free_text = frozenset({"funeral_relation"})

    def required_slots(self, call: FormCall) -> list[str]:
        skip = {"funeral_burial"} if call.get("funeral_kind") == "funeral_waiver" else {"funeral_status"}
        return [s for s in APPLY_SLOTS if s not in skip]

    def after_extraction(self, call: FormCall) -> list[dict] | None:
        if call.requested is None and call.fresh:  # a new application: the facts of a pre-check just made stay
            for slot in (*DECEASED, "funeral_kind", "funeral_confirmed"):
                call.set(slot, None)
            call.say("utter_funeral_condolence")
            text = "" if call.text.startswith("/") else call.text
            if found := kind(text):
                call.set("funeral_kind", found, announce=True)
            self.prefill(call)
        ended = super().after_extraction(call)
        return ended if ended is not None else self._refused(call)

    def _refused(self, call: FormCall) -> list[dict] | None:
        """Once the facts the benefit needs are known: the back-office's verdict; a no ends the form with its reason."""
        chosen = call.get("funeral_kind")
        needed = [s for s in self.required_slots(call) if s in FACTS]
        if chosen is None or any(call.get(s) is None for s in needed) or call.notes.get("checked"):
            return None
        if not call.extracted & {"funeral_kind", *FACTS} and call.requested not in (None, *FACTS, "funeral_kind"):
            return None  # checked when they were answered
        call.notes["checked"] = True
        answer = precheck(call.slots)[chosen]
        if answer["eligible"]:
            return None
        call.say(text=answer["reasons"][0]["text"] + "\n这一项在这里没法申请；有特殊情况可以说“转人工”问问工作人员。")
        return self.end_form()

    def extract_funeral_kind(self, call: FormCall) -> dict:
        return self._unclear(call, "funeral_kind", kind(call.text))

    def ask_funeral_burial(self, call: FormCall) -> list[dict]:
        return call.ask("funeral_burial", "utter_funeral_ask_burial_done")

    def extract_funeral_deceased_name(self, call: FormCall) -> dict:
        return self._unclear(call, "funeral_deceased_name", name(call.text))

    def extract_funeral_deceased_id(self, call: FormCall) -> dict:
        found = entity(call.tracker, "id_number") or next((m.group(0) for m in ID_NUMBER_RE.finditer(call.text)), "")
        value = str(found).strip().upper()
        return self._unclear(
            call, "funeral_deceased_id", value if is_valid_id_number(value) else None, "utter_funeral_bad_id"
        )

    def extract_funeral_death_date(self, call: FormCall) -> dict:
        found = death_date(call.text, entity(call.tracker, "date"), date.today())
        return self._unclear(call, "funeral_death_date", found, "utter_funeral_bad_date")

    def extract_funeral_relation(self, call: FormCall) -> dict:
        return self._unclear(call, "funeral_relation", parsing.relation(call.text))

    def ask_funeral_confirmed(self, call: FormCall) -> list[dict]:
        chosen = call.get("funeral_kind")
        facts = f"户籍：{call.get('funeral_hukou')}"
        if chosen == "funeral_waiver":
            facts += f"；家里：{'不是低保、低收入或特困' if call.get('funeral_status') == NO_STATUS else call.get('funeral_status')}"
        else:
            facts += f"；安葬方式：{call.get('funeral_burial')}"
        estimate = precheck(call.slots)[chosen]
        facts += f"\n预计：{'减免' if chosen == 'funeral_waiver' else '补贴'}约{estimate['amount']}元"
        return call.ask(
            "funeral_confirmed",
            "utter_funeral_read_back",
            what=TITLES[chosen],
            deceased=call.get("funeral_deceased_name"),
            relation=call.get("funeral_relation"),
            id_number=mask_id_number(call.get("funeral_deceased_id") or ""),
            death_date=full_date(call.get("funeral_death_date")),
            facts=facts,
        )

    def extract_funeral_confirmed(self, call: FormCall) -> dict:
        return self._unclear(call, "funeral_confirmed", parsing.yes_no(call.text, call.intent))


def application_body(tracker: Tracker) -> dict[str, Any]:
    s = tracker.slots
    return {
        "programme": s["funeral_kind"],
        "submitted_by_openid": tracker.sender_id,
        "channel": str(tracker.metadata.get("channel", "")),
        "deceased": {
            "name": s["funeral_deceased_name"],
            "id_number": s["funeral_deceased_id"],
            "death_date": s["funeral_death_date"],
        },
        "relation": s["funeral_relation"],
        "facts": {
            "district": s["funeral_hukou"],
            "status": s.get("funeral_status") or NO_STATUS,
            "burial": s.get("funeral_burial") or UNDECIDED,
        },
    }


@action("action_funeral_submit")
def submit(dispatcher: Dispatcher, tracker: Tracker, _domain: dict[str, Any]) -> list[dict]:
    s, done = tracker.slots, reset(APPLY_SLOTS, requested=False)
    if s.get("funeral_confirmed") is False:
        dispatcher.utter(response="utter_funeral_not_submitted")
        return done
    if s.get("funeral_confirmed") is not True or any(s.get(n) is None for n in ("funeral_kind", *DECEASED)):
        return done  # stopped before it was complete
    body = application_body(tracker)
    key = common.idempotency_key(tracker, body["programme"])
    case = common.submit(dispatcher, tracker, body, key, "utter_funeral_saved_for_later", RESUME)
    if case is not None:
        amount = case["estimate"].get("amount")
        dispatcher.utter(
            f"申请已经提交了，编号是 {case['case_no']}，请记下来，查进度时用得上。\n"
            f"{case['title']}预计约{amount}元，以审核结果为准。\n\n"
            f"{common.documents(case)}\n接下来：{case['next_step']}。\n请多保重。"
        )
    return done


@action("action_funeral_progress")
def progress(dispatcher: Dispatcher, tracker: Tracker, _domain: dict[str, Any]) -> list[dict]:
    return common.progress(dispatcher, tracker, "funeral", "utter_funeral_progress_none", "殡葬申请进度查询")
