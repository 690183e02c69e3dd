"""What the marriage forms share: reading a resident's answer, and offering days and time slots.

A :class:`Turn` wraps one form-validation call: the slots as they stand, the message
to interpret (only when it is new), the events and messages to send back.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from actions import services
from actions.dispatcher import Dispatcher
from actions.events import slot_set
from actions.tracker import Tracker
from common.masking import is_valid_id_number

FORMS = ("marriage_booking_form", "marriage_cancel_form", "marriage_reschedule_form")
WEEKDAYS = "一二三四五六日"
ID_IN_TEXT = re.compile(r"(?<![0-9])(\d{17}[\dXx]|\d{15,19})(?![0-9])")
PHONE_IN_TEXT = re.compile(r"(?<!\d)(1[3-9]\d{9})(?!\d)")
ISO_IN_TEXT = re.compile(r"(20\d{2})[-/.年](\d{1,2})[-/.月](\d{1,2})")
CHOICE = re.compile(r"^\s*(?:第\s*)?([1-9一二三四五六七八九])\s*(?:个|项|号|种)?\s*[。.！!]?\s*$")
CN_DIGITS = {c: i for i, c in enumerate("一二三四五六七八九", 1)}
YES = re.compile(r"^(确认|确定|对|对的|是|是的|没问题|没错|好|好的|可以|行|嗯|约吧|就这样)[的吧啊呀。！!]*$")
NO = re.compile(r"^(不对|不是|不行|错了|有错|要改|修改|改一下|不确认)")
# Side questions the form leaves to the rules (answered, then the form asks again).
SIDE_INTENTS = {"marriage_materials", "marriage_my_booking", "stop", "human_handoff", "complain", "goodbye",
                "bot_capabilities", "out_of_scope", "faq", "marriage_cancel", "marriage_reschedule"}


def chinese_date(iso: str) -> str:
    day = date.fromisoformat(iso)
    return f"{day.month}月{day.day}日（周{WEEKDAYS[day.weekday()]}）"


def half_of(start: str) -> str:
    return "上午" if start < "12:00" else "下午"


def idempotency_key(tracker: Tracker, form: str, contents: dict[str, Any]) -> str:
    """Same conversation, same run of the form, same contents → same key: a retried request or a second
    confirmation replays the first answer, while a later, separate booking gets a key of its own."""
    started = next((e.get("timestamp") for e in reversed(tracker.events)
                    if e.get("event") == "active_loop" and e.get("name") == form), "")
    canonical = repr(sorted(contents.items()))
    return hashlib.sha256(f"{tracker.sender_id}|{form}|{started}|{canonical}".encode()).hexdigest()


@dataclass
class Turn:
    dispatcher: Dispatcher
    tracker: Tracker
    slots: dict[str, Any]
    fresh: bool  # the latest user message has not been interpreted yet
    events: list[dict] = field(default_factory=list)
    question_open: bool = False  # a question was already put this turn (e.g. "what to change?")

    @classmethod
    def of(cls, dispatcher: Dispatcher, tracker: Tracker) -> Turn:
        return cls(dispatcher, tracker, dict(tracker.slots), _message_is_new(tracker))

    @property
    def text(self) -> str:
        return self.tracker.latest_text.strip() if self.fresh else ""

    @property
    def intent(self) -> str:
        return (self.tracker.latest_intent or "") if self.fresh else ""

    def entity(self, name: str) -> Any:
        values = self.tracker.entity_values(name) if self.fresh else []
        return values[0] if values else None

    def get(self, name: str) -> Any:
        return self.slots.get(name)

    def set(self, name: str, value: Any) -> None:
        if self.slots.get(name) != value:
            self.slots[name] = value
            self.events.append(slot_set(name, value))

    def clear(self, *names: str) -> None:
        for name in names:
            self.set(name, None)

    def say(self, response: str, **kwargs: Any) -> None:
        self.dispatcher.utter(response=response, **kwargs)

    def choice(self, text: str | None = None) -> str | None:
        """The offered value the resident picked by its number ("2", "第二个")."""
        m = CHOICE.match(text if text is not None else self.text)
        choices = self.get("marriage_choices") or []
        if not m:
            return None
        index = int(m.group(1)) if m.group(1).isdigit() else CN_DIGITS[m.group(1)]
        return choices[index - 1] if 0 < index <= len(choices) else None

    def ask(self, slot: str, response: str, offered: list[str] | None = None, **kwargs: Any) -> list[dict]:
        """Ask for ``slot``; ``offered`` are the values a numbered answer picks from."""
        self.set("marriage_choices", offered or [])
        self.say(response, **kwargs)
        return self.finish(slot)

    def finish(self, requested: str | None, consumed: bool = True) -> list[dict]:
        """The events to return. A message the form has used must come back with at least one slot event,
        or Rasa takes it as unanswered and lets other policies reply to it."""
        marker = [slot_set("marriage_choices", self.get("marriage_choices"))] if consumed and not self.events else []
        return self.events + marker + [slot_set("requested_slot", requested)]


def _message_is_new(tracker: Tracker) -> bool:
    """True when nothing but the form itself ran since the resident's latest message (a side question's
    answer or a submit action that restarted the form has already used that message)."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return True
        if event.get("event") == "action" and event.get("name") not in ("action_listen", *FORMS):
            return False
    return True


# --- reading answers -----------------------------------------------------------------------------------------------

def id_number_in(text: str) -> str | None:
    m = ID_IN_TEXT.search(text.replace(" ", ""))
    return m.group(1).upper() if m else None


def phone_in(text: str) -> str | None:
    m = PHONE_IN_TEXT.search(text.replace(" ", "").replace("-", ""))
    return m.group(1) if m else None


def name_in(text: str) -> str | None:
    """A person's name from "我叫张伟" / "女方是李娜" / "张伟"; None when it does not look like one."""
    text = re.sub(r"^(我叫|我是|叫|名字是|名字叫|姓名是|姓名|女方是|男方是|女方叫|男方叫|对方是|对方叫|另一方是|他叫|她叫|是)", "",
                  text.strip()).strip(" 。.，,！!")
    if re.fullmatch(r"[\u4e00-\u9fff]{2,6}|[\u4e00-\u9fff]{1,10}[·•][\u4e00-\u9fff]{1,10}", text) and \
            not re.search(r"什么|怎么|吗|呢|哪|多少|不|要|预约|登记|结婚|离婚|身份证|电话|材料", text):
        return text
    return None


def date_in(turn: Turn) -> str | None:
    """A date the resident gave: the NLU's ISO ``date`` entity, a date written out, or a number from the offered list."""
    value = turn.entity("date")
    if value:
        return str(value)
    m = ISO_IN_TEXT.search(turn.text)
    if m:
        try:
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3))).isoformat()
        except ValueError:
            return None
    picked = turn.choice()
    return picked if picked and re.fullmatch(r"\d{4}-\d{2}-\d{2}", picked) else None


def wants_earliest(text: str) -> bool:
    return bool(re.search(r"最早|越快越好|尽快|最近|随便|都行|哪天都", text))


def start_in(text: str, starts: list[str]) -> str | None:
    """"9点" / "09:00" / "下午两点半" → one of ``starts``."""
    m = re.search(r"(\d{1,2}|[一二两三四五六七八九十]{1,3})\s*(?:[:：点时])\s*(\d{2}|半)?", text)
    if not m:
        return None
    hour_text = m.group(1)
    hour = int(hour_text) if hour_text.isdigit() else _cn_hour(hour_text)
    if hour is None:
        return None
    if hour < 8 and ("下午" in text or hour <= 5):
        hour += 12
    minute = "30" if m.group(2) == "半" else (m.group(2) or "00")
    wanted = f"{hour:02d}:{minute}"
    return next((s for s in starts if s == wanted), None) or next((s for s in starts if s[:2] == wanted[:2]), None)


def _cn_hour(text: str) -> int | None:
    text = text.replace("两", "二")
    if text == "十":
        return 10
    if text.startswith("十"):
        return 10 + CN_DIGITS.get(text[1:], 0)
    return CN_DIGITS.get(text)


def valid_id(value: str | None) -> bool:
    return bool(value) and is_valid_id_number(value)


def gender_of(id_number: str) -> str:
    return "男" if int(id_number[16]) % 2 else "女"


def age_on(id_number: str, day: date) -> int:
    birth = date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


# --- the back-office -----------------------------------------------------------------------------------------------

def offices(service: str | None = None) -> list[dict]:
    params = {"service": service} if service else {}
    return services.backoffice().get("/offices", **params)["offices"]


def days_from(office_code: str, first: str | None = None, days: int = 21, until: str | None = None) -> list[dict]:
    params: dict[str, Any] = {"days": days}
    if first:
        params["from"] = first
    if until:
        params["until"] = until
    return services.backoffice().get(f"/offices/{office_code}/availability", **params)["days"]


def free_days(days: list[dict], last: str | None = None, limit: int = 6) -> list[str]:
    out = [d["date"] for d in days if d["open"] and any(s["free"] > 0 for s in d["slots"]) and (last is None or d["date"] <= last)]
    return out[:limit]


def numbered(lines: list[str]) -> str:
    return "\n".join(f"{i}. {line}" for i, line in enumerate(lines, 1))


def day_label(iso: str, days: list[dict]) -> str:
    peak = next((d["peak"] for d in days if d["date"] == iso and d["peak"]), "")
    return chinese_date(iso) + (f"（{peak}，名额比平时多，先约先得）" if peak else "")


def next_day(iso: str) -> str:
    return (date.fromisoformat(iso) + timedelta(days=1)).isoformat()
