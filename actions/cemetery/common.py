"""What the cemetery forms share: the back-office's cemeteries and days, and reading a resident's answer.

Days are shown as the back-office labels them (``label``, ``date_label``): it owns the calendar and its wording,
the seasons around 清明 and 冬至, when each day's booking opens, and the places left at each gate.
"""

from __future__ import annotations

import re

from actions import identity, services
from actions.dispatcher import Dispatcher
from actions.forms import CN_DIGITS
from actions.marriage.common import button, start_in
from common.backoffice_client import BackofficeError

FORMS = ("cemetery_booking_form", "cemetery_cancel_form", "cemetery_reschedule_form")
WAITLIST = "候补"
SIDE_INTENTS = {
    "cemetery_my_booking",
    "cemetery_cancel",
    "cemetery_reschedule",
    "stop",
    "human_handoff",
    "complain",
    "goodbye",
    "bot_capabilities",
    "out_of_scope",
    "faq",
}
CN_NUMBER = {**CN_DIGITS, "两": 2, "俩": 2, "十": 10}


def verified(sender_id: str) -> bool:
    try:
        services.backoffice().get(f"/residents/by-openid/{sender_id}")
    except BackofficeError as exc:
        if exc.code == identity.NOT_BOUND:
            return False
        raise
    return True


def ask_to_verify(dispatcher: Dispatcher, intent: str, what: str) -> None:
    identity.ask_to_verify(dispatcher, "/" + intent, what)


def cemeteries() -> list[dict]:
    return services.backoffice().get("/cemeteries")["cemeteries"]


def cemetery(code: str | None) -> dict | None:
    return next((c for c in cemeteries() if c["code"] == code), None)


def availability(code: str, first: str | None = None, days: int = 0) -> dict:
    params: dict = {"from": first, "days": days} if first else {}
    return services.backoffice().get(f"/cemeteries/{code}/availability", **params)


def day_of(code: str, iso: str | None) -> dict | None:
    if not iso:
        return None
    return next((d for d in availability(code, iso, 1)["days"] if d["date"] == iso), None)


def free_slots(day: dict, people: int) -> list[dict]:
    return [s for s in day["slots"] if s["free"] >= people]


def slot_value(s: dict) -> str:
    """A slot as the resident could say it, and as the form keeps it: "东门 09:00"."""
    return f"{s['gate_name']} {s['start']}"


def slot_of(day: dict, value: str | None) -> dict | None:
    return next((s for s in day["slots"] if slot_value(s) == value), None)


def slot_button(s: dict) -> dict[str, str]:
    return button(f"{s['gate_name']} {s['start']}-{s['end']}（还有{s['free']}个名额）", slot_value(s))


def date_examples(season: dict, offered: list[dict]) -> dict[str, str]:
    """The date question's examples in the season's own words ("冬至那天", "12月20号"), never another season's."""
    day = offered[len(offered) // 2]["date"] if offered else season["date"]
    _, month, dom = day.split("-")
    return {"festival": season["name"], "example": f"{int(month)}月{int(dom)}号"}


def day_button(d: dict, festival: str) -> dict[str, str]:
    note = f"（{festival}当天）" if d["festival"] else ""
    return button(f"{d['label']}{note} 还有{d['free']}个名额", d["date"])


def short_name(name: str) -> str:
    """罗店 of 宝山区罗店公墓: a cemetery's name as residents say it, without its district and kind."""
    return re.sub(r"(公墓|墓园|陵园|骨灰堂|骨灰楼)$", "", re.sub(r"^\w{1,3}?区", "", name))


def site_in(text: str) -> str | None:
    """A cemetery named in ``text`` (its name, an alias, its short name "罗店", or its code)."""
    for c in cemeteries():
        short = short_name(c["name"])
        if (
            c["code"] in text.upper()
            or c["name"] in text
            or any(a in text for a in c["aliases"])
            or (len(short) >= 2 and short in text)
        ):
            return c["code"]
    return None


# a time of day: 上午, 下午, 9点, 两点半 (not the 一点 of 早一点)
TIME_SAID = re.compile(r"上午|早上|下午|(?<![早晚快慢])(\d{1,2}|[一二两三四五六七八九十]{1,3})\s*[:：点时]")


def names_a_time(text: str) -> bool:
    """A time of day named ("下午", "9点", "两点半"): the slot, whatever question is open."""
    return bool(TIME_SAID.search(text))


def slot_in(text: str, fits: list[dict]) -> dict | None:
    """The slot of ``fits`` a resident picked: its button, a time ("9点"), "上午"/"下午", a gate ("东门": its earliest)."""
    named = [s for s in fits if s["gate_name"] in text] or fits
    chosen = next((s for s in fits if slot_value(s) == text.strip()), None)
    if chosen is None and (start := start_in(text, [s["start"] for s in named])):
        chosen = next(s for s in named if s["start"] == start)
    if chosen is None and re.search(r"上午|早上|下午", text):
        afternoon = "下午" in text
        chosen = next((s for s in named if (s["start"] >= "12:00") == afternoon), None)
    if chosen is None and named is not fits:
        chosen = named[0]
    return chosen


def festival_day(text: str, shown: dict) -> str | None:
    """ "清明那天" / "冬至" → the solar term's day of the season shown, when it is that season."""
    name = shown["season"]["name"]
    if name not in text or re.search(r"前后|左右|附近|之前|以前|之后|以后", text):
        return None
    said_the_day = re.search(rf"{name}节?(当天|那天|那一天|正日|这天)", text)
    return shown["season"]["date"] if said_the_day or re.fullmatch(rf"\s*{name}节?\s*", text) else None


def wants_earliest(text: str) -> bool:
    return bool(re.search(r"最早|越快越好|尽快|最近|随便|都行|哪天都", text))


def companions_in(text: str) -> int | None:
    """How many go with the resident: "就我一个" 0, "带两个" 2, "我们三个人" 2, "2" 2."""
    text = text.strip()
    if re.search(r"就我一个|我一个人|一个人去|我自己|就我自己|没有别人|不带|只有我", text):
        return 0
    if m := re.fullmatch(r"\s*(\d{1,2})\s*[个位人]*\s*", text):
        return int(m.group(1))
    m = re.search(r"([0-9]{1,2}|[一二两俩三四五六七八九十])\s*(?:个|位|口)", text)
    if not m:
        return None
    raw = m.group(1)
    n = int(raw) if raw.isdigit() else CN_NUMBER.get(raw)
    if n is None:
        return None
    together = re.search(r"我们|一共|总共|一家|全家|加上我|连我", text) and not re.search(r"带|还有", text)
    return max(0, n - 1) if together else n


def describe(b: dict) -> str:
    return (
        f"预约号 {b['number']}：{b['date_label']} {b['start']}-{b['end']}，"
        f"{b['cemetery']['name']}{b['gate']['name']}，共{b['people']}人"
    )


def describe_checked_in(b: dict) -> str:
    """A booking checked in at the gate (listed on its day): no gate link, it cannot be used again."""
    return f"{describe(b)}，已入园（{b['used_label']}在门口核验过了）"


def describe_waiting(w: dict) -> str:
    state = f"排在第{w['position']}位" if w["status"] == "waiting" else "已经排到"
    return f"候补号 {w['number']}：{w['date_label']} {w['cemetery']['name']}，共{w['people']}人，{state}"


def not_a_booking_day(season: dict) -> str:
    first, last = (f"{int(d[5:7])}月{int(d[8:10])}日" for d in (season["first"], season["last"]))
    return f"这一天不是祭扫高峰，不用预约，开放时间直接去就行。要预约的是{season['name']}前后：{first}到{last}。"


ASKS_WHETHER = re.compile(r"(吗|伐|么|嘛)[啊呀呢]?\s*[？?。！!]*\s*$|是不是|要不要|需不需要|用不用|怎么|如何|[？?]\s*$")
# "帮我约", "给我爸约", "帮我弄一下扫墓预约": asked to book; not "给我妈扫墓要预约吗" nor "帮我爸问一下，…要预约吗"
ASKS_FOR_IT = re.compile(
    r"帮[^，,。？?！!\s]{0,8}?约|(给|替)我.{0,2}?(约|订|办|排)|帮我(办|订|排)|帮忙|我要|我想|我们想|想约|约一"
)


LOOKS_UP = re.compile(r"我的.{0,4}预约|约好?的.{0,6}(哪|几)|^\s*(查|看看)|查(一下|查|询)")
BOOKS = re.compile(r"(帮|给|替)我.{0,2}(约|预约|订)|我(要|想)(约|预约|订)")


def looks_up(text: str) -> bool:
    """A look-up of one's booking ("我的扫墓预约", "我约好的扫墓是几号") that the NLU took for a request to book."""
    return bool(LOOKS_UP.search(text)) and not BOOKS.search(text)


def asks_whether(text: str) -> bool:
    """A question about booking ("清明扫墓是不是要先预约啊", "上坟要预约伐") rather than a request to book: the NLU
    can take one for the other, and a question is answered, not turned into a booking."""
    return bool(ASKS_WHETHER.search(text)) and not ASKS_FOR_IT.search(text)
