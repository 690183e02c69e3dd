"""Reading residents' answers: Chinese numbers, yes/no, who is applying, circumstances.

Elderly residents answer in words (三口人, 一千五, 两万多, 没有), so the forms read the
raw text when the NLU did not extract an entity. Keyword lists are data (words.yaml).
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from common.simplified import simplified

WORDS_FILE = Path(__file__).with_name("words.yaml")
DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "幺": 1,
    "二": 2,
    "两": 2,
    "俩": 2,
    "三": 3,
    "仨": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10000}
_NUMBER_RE = re.compile(r"\d+(?:\.\d+)?\s*[万千]?|[零〇一幺二两俩三仨四五六七八九十百千万]+")
_HOUSEHOLD_RE = re.compile(r"(\d+|[一二两三四五六七八九十]+)\s*口")
_COUNTED_RE = re.compile(r"(\d+|[一二两三四五六七八九十]+)\s*(?:口|个人|人|辆|台)")
STORY_MIN_LENGTH = 10  # characters besides the type's name that make a message a story
CASE_NO_RE = re.compile(r"JZ\d{13}", re.IGNORECASE)
MAX_NUMBER = 10**12  # larger is no amount or count a resident means (and 400 digits must not overflow a float)


@cache
def words() -> dict[str, Any]:
    return yaml.safe_load(WORDS_FILE.read_text(encoding="utf-8"))


def plain(text: str) -> str:
    """The words as the word lists are written: simplified characters (沒有 → 没有, 兩千 → 两千) and dialect words
    in Mandarin (呒没 → 没有). For reading only: what is kept (a hardship told) stays as typed."""
    text = simplified(text)
    for said, meant in words()["dialect"].items():
        text = text.replace(said, meant)
    return text


def _chinese_number(text: str) -> int | None:
    """一千五 → 1500, 两万三 → 23000, 十二 → 12, 三 → 3, 一五零零 → 1500."""
    if all(c in DIGITS for c in text):
        return int("".join(str(DIGITS[c]) for c in text)) if text and len(text) <= 13 else None
    total, section, digit, last_unit = 0, 0, None, 1
    for char in text:
        if char in DIGITS:
            digit = DIGITS[char]
        elif char in UNITS:
            unit = UNITS[char]
            if unit == 10000:
                total += (section + (digit or 0)) * unit
                section, digit, last_unit = 0, None, unit
            else:
                section += (1 if digit is None else digit) * unit
                digit, last_unit = None, unit
        else:
            return None
    if digit is not None:  # 一千五: a trailing digit counts in the next smaller unit
        section += digit * (last_unit // 10 if last_unit >= 10 else 1)
    return total + section


def _plausible(value: Any) -> bool:
    """A finite number no larger than :data:`MAX_NUMBER` (an entity's value may be anything)."""
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(value)
        and abs(value) <= MAX_NUMBER
    )


def numbers(text: str) -> list[int]:
    """Every amount or count in the text, as integers (1.5万 → 15000, 一千五 → 1500); a number
    too large to be meant (:data:`MAX_NUMBER`) is not one."""
    found = []
    for match in _NUMBER_RE.finditer(plain(text)):
        token = match.group(0).replace(" ", "")
        if token[0].isdigit():
            digits = token.rstrip("万千")
            if len(digits.partition(".")[0]) > 13:  # read exactly below, never as an overflowing float
                continue
            scale = 10000 if token.endswith("万") else 1000 if token.endswith("千") else 1
            value: int | None = round(Decimal(digits) * scale)
        else:
            value = _chinese_number(token)
        if value is not None and value <= MAX_NUMBER:
            found.append(value)
    return found


def largest_number(text: str) -> int | None:
    """The amount a sentence gives: the largest number in it (一个月一共三千 → 3000, not 1)."""
    return max(numbers(text), default=None)


def says_none(text: str) -> bool:
    text = plain(text)
    return any(w in text for w in words()["none"])


def says_stop(text: str) -> bool:
    """Whether the resident says to stop (不问了, 先不办了): the pre-check's own offer ("不想问了随时说'不问了'")
    is taken at its word, whatever the NLU reads."""
    text = plain(text)
    return any(w in text for w in words()["stop"])


def amount(text: str, entity_values: list[Any] | tuple[Any, ...] = ()) -> int | None:
    """A yuan amount: the largest of the NLU's ``amount`` entities and the numbers in the text
    (so 一个月一共三千 is 3000, not the 1 of 一个月); 没有 → 0."""
    candidates = [int(v) for v in entity_values if _plausible(v) and v >= 0]
    candidates += numbers(text)
    if candidates:
        return max(candidates)
    return 0 if says_none(text) else None


def count(text: str, entity_value: Any = None) -> int | None:
    """A small count (people, cars): the entity, else the number before 口/人/辆/个, else the only number."""
    text = plain(text)
    if _plausible(entity_value):
        value: int | None = int(entity_value)
    elif counted := _COUNTED_RE.search(text):
        value = numbers(counted.group(1))[0] if numbers(counted.group(1)) else None
    else:
        found = numbers(text)
        value = found[0] if len(found) == 1 else 0 if not found and says_none(text) else None
    return value if value is not None and 0 <= value < 100 else None


ALONE = re.compile(r"^(就|只有|只)?(我|俺|阿拉)(自己|自家|一个|一人)(人|住|过)?[的啊呀了。！!，, ]*$")


def people(text: str) -> int | None:
    """How many people an answer to "几口人" counts, in a sentence that also says other things (我老头子走了我一个人住
    退休金…: 一个人 → 1), or alone (就我自己 → 1)."""
    text = plain(text)
    if ALONE.match(text.strip()):
        return 1
    counted = _COUNTED_RE.search(text)
    found = (
        numbers(counted.group(1)) if counted and "辆" not in counted.group(0) and "台" not in counted.group(0) else []
    )
    return found[0] if found and 0 < found[0] < 100 else None


def household_size_in(text: str) -> int | None:
    """The household's size said outright (两口人, 3口), in a message that was not asked for it: only 口 says it
    (一个人 in a story is not the household)."""
    said = _HOUSEHOLD_RE.search(plain(text))
    found = numbers(said.group(1)) if said else []
    return found[0] if found and 1 <= found[0] < 100 else None


CLAUSE_RE = re.compile(r"[，,。.；;！!？?\s]+")
INCOME_WORDS = re.compile(r"收入|工资|退休金|养老金|挣|赚|每个?月|一个月|月入")
SPENDING_WORDS = re.compile(r"付|花|药|医|病|交|房租")  # "每个月自己付三千" is an expense, not an income
SAVINGS_WORDS = re.compile(r"存款|积蓄|存了|存折|银行里")
# An income named and its figure right after it ("退休金一千九百块钱"), even in a clause that goes on about spending
# ("…看病吃药一个月要花一千多": a voice message has no commas to split it at).
INCOME_FIGURE = re.compile(
    r"(?:收入|工资|退休金|养老金|月入)(?:一共|加起来|大概|才|只有|有|是|就|每个?月|一个月)*(" + _NUMBER_RE.pattern + ")"
)


def _figure_of(clause: str) -> tuple[str, int] | None:
    """The pre-check figure one clause says plainly, as (slot, value), or None."""
    if (size := household_size_in(clause)) is not None:
        return "assistance_household_size", size
    if SAVINGS_WORDS.search(clause):
        value = amount(clause)
        return ("assistance_savings", value) if value is not None else None
    if INCOME_WORDS.search(clause) and not SPENDING_WORDS.search(clause):
        value = amount(clause)
        return ("assistance_monthly_income", value) if value is not None else None
    if said := INCOME_FIGURE.search(clause):
        return ("assistance_monthly_income", value) if (value := largest_number(said.group(1))) is not None else None
    if "车" in clause and (value := vehicles(clause)) is not None:
        return "assistance_vehicles", value
    return None


def figures_told(text: str) -> dict[str, int]:
    """The pre-check's figures a message says outright, clause by clause, before they are asked ("我家在普陀区，三口人，
    每个月收入加起来两千块，存款没有，也没车"): the household's size (only 口 says it), the monthly income, the savings,
    the vehicles. A clause that is not plainly about one of them gives nothing."""
    found: dict[str, int] = {}
    for clause in CLAUSE_RE.split(plain(text)):
        if clause and (figure := _figure_of(clause)) is not None:
            found.setdefault(*figure)
    return found


def without_other_figures(text: str, slot: str) -> str:
    """``text`` without the clauses that plainly give another figure than ``slot`` (the answer to the income question
    "一千五，存款一万" is 1500, not the larger 10000 of the savings)."""
    kept = [c for c in CLAUSE_RE.split(plain(text)) if c and (_figure_of(c) or (slot,))[0] == slot]
    return "，".join(kept)


def vehicles(text: str, entity_value: Any = None) -> int | None:
    text = plain(text)
    if says_none(text):
        return 0
    value = count(text, entity_value)
    if value is not None:
        return value
    return 1 if any(w in text for w in words()["affirm_words"]) else None


def circumstances(text: str) -> list[str] | None:
    """The special circumstances mentioned; ``[]`` for an explicit "none", ``None`` when unclear."""
    text = plain(text)
    found = [flag for flag, phrases in words()["circumstances"].items() if any(p in text for p in phrases)]
    if found:
        return found
    return [] if says_none(text) else None


def applicant(text: str) -> tuple[str | None, str | None]:
    """(``本人`` or ``家人``, relation) from an answer like 我自己 / 帮我妈申请 / 家里人."""
    text = plain(text)
    for relation, phrases in words()["relations"].items():
        if any(p in text for p in phrases):
            return "家人", relation
    if any(w in text for w in words()["family"]):
        return "家人", None
    if any(w in text for w in words()["self"]):
        return "本人", "本人"
    return None, None


def applicant_named(text: str) -> tuple[str | None, str | None]:
    """Like :func:`applicant`, but only for words that name who an application is for (我自己, 给我妈, 本人); a bare
    我 in a sentence names no one."""
    said = plain(text)
    found = applicant(said)
    if found[0] == "本人" and not any(w in said for w in words()["self"] if w != "我"):
        return None, None
    return found


def for_whom(text: str) -> str | None:
    """The relation an application is said to be for (帮我老婆申请, 是给我老婆申请, 我妈想申请): a relation word right
    after 帮, 替, 给 or 为, or first in the message — not one a story mentions (…老婆也生病), nor the one a correction
    sets aside (…我妈户口不在一起)."""
    said = plain(text)
    for relation, phrases in words()["relations"].items():
        for phrase in phrases:
            if re.search(rf"(?:^|[帮替给为])(?:我|咱|阿拉)?(?:家)?{re.escape(phrase)}", said):
                return relation
    return None


ASKING_WHETHER = re.compile(
    r"能不能|能否|可不可以|可以不可以|够不够|有没有资格|符不符合|算算|算一算|好申请伐|申请.{0,6}[吗伐]"
)


def asks_whether(text: str) -> bool:
    """Whether the message asks if one can apply (我家能不能申请低保, 帮我看看能不能申请) rather than asking to apply."""
    return bool(ASKING_WHETHER.search(plain(text)))


def is_question(text: str) -> bool:
    said = plain(text)
    return asks_whether(said) or any(mark in said for mark in QUESTION_MARKS)


def relation(text: str) -> str | None:
    found = applicant(text)[1]
    if found and found != "本人":
        return found
    cleaned = re.sub(r"[是我的他她，。,.!！\s]", "", text)
    return cleaned[:6] or None


def assistance_type(text: str) -> str | None:
    """The assistance type named in, or suggested by, the resident's words."""
    text = plain(text)
    typos = words()["type_typos"]
    for kind, phrases in words()["types"].items():
        if any(p in text for p in (*phrases, *typos.get(kind, ()))):
            return kind
    return None


def names_assistance(text: str) -> bool:
    """Whether the words name social assistance itself (救助, 低保, 特困 …, or a typo of one), not just a story."""
    text = plain(text)
    typos = [t for some in words()["type_typos"].values() for t in some]
    return any(w in text for w in (*words()["progress_names"], *typos))


def story(text: str, kind: str) -> str | None:
    """The message as a hardship description, when it tells more than the type's name."""
    text = text.strip()
    if text.startswith("/"):  # Rasa's intent syntax, not words
        return None
    told = plain(text)
    for name in (kind, *words()["type_typos"].get(kind, ())):  # 申清低报 names 低保 as 低保 does
        told = told.replace(name, "")
    return text[:300] if told == plain(text) or len(told) >= STORY_MIN_LENGTH else None


def not_understood(text: str) -> bool:
    """Whether the resident says they do not understand the question (我看不懂这个, 啥意思)."""
    return any(w in plain(text) for w in words()["not_understood"])


QUESTION_MARKS = ("?", "？", "吗", "什么", "啥", "怎么", "为什么", "为啥", "哪")


def yes_no(text: str, intent: str | None) -> bool | None:
    """The resident's yes or no to a question put to them (consent, a read-back); None when it is neither.
    A question back ("这是什么意思") is never a yes, whatever the NLU made of it; a one-character yes word
    (是, 对, 有, 行, 嗯) counts only at the start ("是的", "行啊"), not inside a sentence about something else."""
    text = plain(text.strip())
    if any(mark in text for mark in QUESTION_MARKS):
        return None
    if intent == "affirm":
        return True
    if intent == "deny":
        return False
    if any(w in text for w in words()["deny_words"]):
        return False
    if any(text.startswith(w) if len(w) == 1 else w in text for w in words()["affirm_words"]):
        return True
    return None
