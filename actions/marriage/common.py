"""What the marriage forms share: reading a resident's answer, and the back-office's offices and days.

Dates are shown as the back-office labels them (``label`` on its days, ``date_label`` on appointments):
the back-office owns the calendar and its wording.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date, timedelta
from typing import Any

from actions import identity, services
from actions.dispatcher import Dispatcher
from actions.forms import CN_DIGITS, FormCall
from actions.tracker import Tracker
from common.backoffice_client import BackofficeError
from common.masking import find_phone, is_valid_id_number

FORMS = ("marriage_booking_form", "marriage_cancel_form", "marriage_reschedule_form")
ID_IN_TEXT = re.compile(r"(?<![0-9])(\d{17}[\dXx]|\d{15,19})(?![0-9])")
ISO_IN_TEXT = re.compile(r"(20\d{2})[-/.年](\d{1,2})[-/.月](\d{1,2})")
YES = re.compile(
    # one way only to read each character (no word is another word plus an ending): no backtracking blow-up
    r"^(?:(确认(预约|无误|一下)?|確認|确任|确定|確定|对|對|队|是|没问题|沒問題|没错|沒錯|好|可以|行|嗯|约吧|就这样"
    r"|dui|hao|shi|keyi|xing|queren|queding|ok|en)\s*(de|a|ya|le|ba)?"  # pinyin typed without choosing the characters
    r"[的额吧啊呀了。！!，, ]*)+$",  # 对额, 好额: Shanghainese; 對, 確認: traditional
    re.IGNORECASE,
)
NO = re.compile(r"^(不对|不是|不行|错了|有错|要改|修改|改一下|不确认)")
YES_OR_SELF_WORDS = re.compile(r"确认|确定|没错|没问题|对|對|队|是|嗯|好|我|本人|自己|的|额|啊|呀|了|吧|[，,。.！!\s]")
LEADING_YES = re.compile(r"^(对|對|是|好|嗯|没错|队)[的额啊呀]?[，,。 ]+(?!.*不)")  # "对，就去普陀区婚姻登记中心"


def affirms_self(text: str) -> bool:
    """A yes that says it is the resident ("对是我", "是我本人", "对的对的是我"): nothing but yes words and "me"."""
    text = text.strip()
    return bool(text) and "我" in text and not YES_OR_SELF_WORDS.sub("", text) and not NO.match(text)


# Side questions the form leaves to the rules (answered, then the form asks again).
SIDE_INTENTS = {
    "marriage_materials",
    "marriage_my_booking",
    "stop",
    "human_handoff",
    "complain",
    "goodbye",
    "bot_capabilities",
    "out_of_scope",
    "faq",
    "marriage_cancel",
    "marriage_reschedule",
}


def half_of(start: str) -> str:
    return "上午" if start < "12:00" else "下午"


def idempotency_key(tracker: Tracker, form: str, contents: dict[str, Any]) -> str:
    """Same conversation, same run of the form, same contents → same key: a retried request or a second
    confirmation replays the first answer, while a later, separate booking gets a key of its own."""
    started = next(
        (
            e.get("timestamp")
            for e in reversed(tracker.events)
            if e.get("event") == "active_loop" and e.get("name") == form
        ),
        "",
    )
    canonical = repr(sorted(contents.items()))
    return hashlib.sha256(f"{tracker.sender_id}|{form}|{started}|{canonical}".encode()).hexdigest()


# --- reading answers -----------------------------------------------------------------------------------------------


def id_number_in(text: str) -> str | None:
    m = ID_IN_TEXT.search(text.replace(" ", ""))
    return m.group(1).upper() if m else None


def carries_details(call: FormCall) -> bool:
    """Whether the message gives an ID number or a phone number (the NLU can take a string of digits for
    "goodbye": nlu_data's 88 and 886 are goodbyes)."""
    return bool(call.entity("id_number") or call.entity("phone") or id_number_in(call.text) or phone_in(call.text))


def phone_in(text: str) -> str | None:
    return find_phone(text.replace(" ", "").replace("-", ""))


def name_in(text: str) -> str | None:
    """A person's name from "我叫张伟" / "女方是李娜" / "张伟"; None when it does not look like one."""
    if YES.match(text.strip()) or affirms_self(text):  # "是的是的" is no name "的是的"
        return None
    text = re.sub(
        r"^(我叫|我是|叫|名字是|名字叫|姓名是|姓名|女方是|男方是|女方叫|男方叫|对方是|对方叫|另一方是|他叫|她叫|是)",
        "",
        text.strip(),
    ).strip(" 。.，,！!")
    if YES.match(text) or NO.match(text) or affirms_self(text):  # "好的", "是我" answer a question: nobody's name
        return None
    if re.fullmatch(r"[\u4e00-\u9fff]{2,6}|[\u4e00-\u9fff]{1,10}[·•][\u4e00-\u9fff]{1,10}", text) and not re.search(
        r"^我|什么|怎么|吗|呢|哪|多少|不|要|预约|登记|结婚|离婚|身份证|电话|材料", text
    ):
        return text
    return None


SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭"
    "陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐"
    "易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳"
    "管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵"
    "苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩佘池查麻苑迟邝洪萧"
)
COMPOUND_SURNAMES = (
    "欧阳",
    "司马",
    "上官",
    "诸葛",
    "东方",
    "皇甫",
    "尉迟",
    "公孙",
    "慕容",
    "令狐",
    "长孙",
    "宇文",
    "司徒",
    "夏侯",
)
NOT_A_NAME = re.compile(
    r"今天|明天|后天|号|礼拜|星期|周[一二三四五六日天]|上午|下午|中午|早上|晚上|区|中心|处|个|吧|的|了|吗|呢"
)


def bare_name(text: str) -> str | None:
    """A name sent on its own, or as "她叫…", while another question waits ("姜天佑" at the day question): only
    what reads as a Chinese name (a common surname first, nothing of a day, a place or a reply), so that words
    meant for the question asked are never taken for somebody."""
    text = re.sub(
        r"^(她叫|他叫|她是|他是|对方叫|对方是|另一方叫|另一方是|女方叫|男方叫|女方是|男方是)", "", text.strip()
    )
    name = name_in(text.strip(" 。.，,！!"))
    if not name or name != text.strip(" 。.，,！!") or not 2 <= len(name) <= 4 or NOT_A_NAME.search(name):
        return None
    return name if name[0] in SURNAMES or name.startswith(COMPOUND_SURNAMES) else None


PARTNER = re.compile(
    r"(?:女朋友|男朋友|对象|未婚妻|未婚夫|女方|男方|另一半|另一方)(?:是|叫|名字叫)?([\u4e00-\u9fff]{2,4}?)(?=[，,。.\s想要和跟一去来的]|$)"
)


def partner_named(text: str) -> str | None:
    """The other party's name in a sentence that names them by who they are ("我和我女朋友于玉兰想…")."""
    m = PARTNER.search(text)
    if not m or re.search(r"一起|一块|一同|一道", m.group(1)):
        return None
    return name_in(m.group(1))


def date_in(call: FormCall) -> str | None:
    """A date the resident gave: the NLU's ISO ``date`` entity, or a date written out (an offered day's payload)."""
    value = call.entity("date")
    if value:
        return _calendar_day(str(value))
    m = ISO_IN_TEXT.search(call.text)
    if not m:
        return None
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3))).isoformat()
    except ValueError:
        return None


def _calendar_day(value: str) -> str | None:
    """``value`` if it is an ISO day of this century or the next (the NLU's entity may hold anything; a day
    near the calendar's end would overflow :func:`next_day`)."""
    try:
        day = date.fromisoformat(value[:10])
    except ValueError:
        return None
    return day.isoformat() if 2000 <= day.year < 2200 else None


def wants_earliest(text: str) -> bool:
    return bool(re.search(r"最早|越快越好|越早越好|早点|尽快|最近|随便|都行|哪天都", text))


def start_in(text: str, starts: list[str]) -> str | None:
    """ "9点" / "09:00" / "下午两点半" → one of ``starts``."""
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


# --- the back-office -----------------------------------------------------------------------------------------------


def verified_resident(sender_id: str) -> dict | None:
    """The registry record of the resident this sender is bound to by a verified sign-in (实名绑定), None when it
    is not: one read per action run. Only this, never an ID number typed in chat, says who the resident is."""
    try:
        return services.backoffice().get(f"/residents/by-openid/{sender_id}")
    except BackofficeError as exc:
        if exc.code == identity.NOT_BOUND:
            return None
        raise


def ask_to_verify(dispatcher: Dispatcher, intent: str, what: str, marriage_type: str | None = None) -> None:
    """The resident must verify first; once verified, the conversation carries on with ``/<intent>``."""
    resume = "/" + intent + (json.dumps({"marriage_type": marriage_type}, ensure_ascii=False) if marriage_type else "")
    identity.ask_to_verify(dispatcher, resume, what)


def offices(service: str | None = None) -> list[dict]:
    """The offices (ordered by code), those registering ``service`` when it is given: one read per run."""
    found = services.backoffice().get("/offices")["offices"]
    return [o for o in found if not service or service in o["services"]]


def days_from(office_code: str, first: str | None = None, days: int = 21, until: str | None = None) -> list[dict]:
    params: dict[str, Any] = {"days": days}
    if first:
        params["from"] = first
    if until:
        params["until"] = until
    return services.backoffice().get(f"/offices/{office_code}/availability", **params)["days"]


def free_days(days: list[dict], last: str | None = None, limit: int = 6) -> list[str]:
    out = [
        d["date"]
        for d in days
        if d["open"] and any(s["free"] > 0 for s in d["slots"]) and (last is None or d["date"] <= last)
    ]
    return out[:limit]


def numbered(lines: list[str]) -> str:
    return "\n".join(f"{i}. {line}" for i, line in enumerate(lines, 1))


def button(title: str, payload: str) -> dict[str, str]:
    """A choice offered with a question: ``title`` is what the resident reads, ``payload`` what the form reads back
    when it is picked (tapped on the web, its number replied on WeChat): the value written out, as a resident could
    type it, so a picked choice and a typed answer are read the same way."""
    return {"title": title, "payload": payload}


def day_label(iso: str, days: list[dict]) -> str:
    day = next(d for d in days if d["date"] == iso)
    return day["label"] + (f"（{day['peak']}，名额比平时多，先约先得）" if day["peak"] else "")


def next_day(iso: str) -> str:
    return (date.fromisoformat(iso) + timedelta(days=1)).isoformat()
