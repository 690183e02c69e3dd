"""Chinese dates, times of day, household sizes and money amounts.

``extract(text, now)`` returns entity dicts (``entity``, ``start``, ``end``,
``value``) for

* ``date``        ISO ``YYYY-MM-DD`` relative to ``now``: 今天/明天/后天/大后天, 下周三,
                  这周五, 周五, 12月2号, 12.2, 二〇二六年十二月二日, 2026-12-02, 下个月3号,
                  520, 七夕/春节/中秋/重阳 (lunar, via lunardate), 元旦/国庆/圣诞 ...
* ``time_of_day`` 上午 / 下午 (早上, 上午, 一早 -> 上午; 下午, 中午后, 午后 -> 下午)
* ``person_count`` integer (三口人 -> 3, 一家四口 -> 4, 我一个人 -> 1, 老两口 -> 2)
* ``amount``      integer yuan (一千五 -> 1500, 两千块 -> 2000, 3千 -> 3000, 1.5万 -> 15000)

Chinese numerals are converted with cn2an. Dates without a year (12月2号, 520,
七夕) mean the next such day on or after ``now``.

``ChineseDateNumberExtractor`` wraps ``extract`` as a Rasa 3.6 graph component.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import cn2an
from lunardate import LunarDate

from components.zh_text import normalise, reference_time

logger = logging.getLogger(__name__)

CN_NUM = "零〇一二两三四五六七八九十"
_WEEKDAY = {
    "一": 0,
    "二": 1,
    "三": 2,
    "四": 3,
    "五": 4,
    "六": 5,
    "日": 6,
    "天": 6,
    "末": 5,
    "1": 0,
    "2": 1,
    "3": 2,
    "4": 3,
    "5": 4,
    "6": 5,
    "7": 6,
}
_MONTH = r"(?P<m>1[0-2]|0?[1-9]|十[一二]?|[一二三四五六七八九])"
_DAY = r"(?P<d>3[01]|[12][0-9]|0?[1-9]|三十一?|二十[一二三四五六七八九]?|十[一二三四五六七八九]?|[一二三四五六七八九])"
_NOT_NUM_AFTER = r"(?![0-9.万千百元块号日月岁])"


def to_int(token: str) -> int | None:
    """'12' / '十二' / '二十三' / '〇' -> int; None when not a number."""
    token = token.strip()
    if not token:
        return None
    if token.isdigit():
        return int(token)
    try:
        value = cn2an.cn2an(token.replace("〇", "零"), "smart")
    except (ValueError, KeyError, IndexError, TypeError):
        return None
    return int(value)


def _year(token: str) -> int | None:
    if token.isdigit():
        return int(token)
    digits = "".join(
        {
            "〇": "0",
            "零": "0",
            "○": "0",
            "一": "1",
            "二": "2",
            "三": "3",
            "四": "4",
            "五": "5",
            "六": "6",
            "七": "7",
            "八": "8",
            "九": "9",
        }.get(c, "x")
        for c in token
    )
    return int(digits) if digits.isdigit() else None


def _safe_date(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _next_month_day(today: date, m: int, d: int) -> date | None:
    """The next month/day on or after today (this year or next)."""
    for y in (today.year, today.year + 1, today.year + 2, today.year + 3, today.year + 4):
        candidate = _safe_date(y, m, d)
        if candidate and candidate >= today:
            return candidate
    return None


def _solar(lunar: LunarDate) -> date:
    convert = getattr(lunar, "to_solar_date", None) or lunar.toSolarDate  # renamed in lunardate 0.3
    return convert()


def _next_lunar(today: date, m: int, d: int) -> date | None:
    for y in (today.year - 1, today.year, today.year + 1):
        try:
            candidate = _solar(LunarDate(y, m, d))
        except ValueError:
            if d == 30:  # 除夕 in a year whose 12th month has 29 days
                candidate = _solar(LunarDate(y + 1, 1, 1)) - timedelta(days=1)
            else:
                continue
        if candidate >= today:
            return candidate
    return None


_SOLAR_FESTIVALS = {
    "元旦": (1, 1),
    "情人节": (2, 14),
    "妇女节": (3, 8),
    "植树节": (3, 12),
    "劳动节": (5, 1),
    "五一": (5, 1),
    "儿童节": (6, 1),
    "六一": (6, 1),
    "国庆节": (10, 1),
    "国庆": (10, 1),
    "十一": (10, 1),
    "平安夜": (12, 24),
    "圣诞节": (12, 25),
    "圣诞": (12, 25),
    "双十二": (12, 12),
    "双十一": (11, 11),
    "光棍节": (11, 11),
}
_LUNAR_FESTIVALS = {
    "七夕节": (7, 7),
    "七夕": (7, 7),
    "七七": (7, 7),
    "春节": (1, 1),
    "大年初一": (1, 1),
    "正月初一": (1, 1),
    "元宵节": (1, 15),
    "元宵": (1, 15),
    "端午节": (5, 5),
    "端午": (5, 5),
    "中秋节": (8, 15),
    "中秋": (8, 15),
    "重阳节": (9, 9),
    "重阳": (9, 9),
    "除夕": (12, 30),
    "腊八": (12, 8),
}
_RELATIVE_DAYS = {
    "大后天": 3,
    "大後天": 3,
    "后天": 2,
    "后日": 2,
    "明天": 1,
    "明日": 1,
    "明儿": 1,
    "明朝": 1,
    "今天": 0,
    "今日": 0,
    "今儿": 0,
    "今朝": 0,
    "当天": 0,
    "昨天": -1,
    "前天": -2,
}


class _Rule:
    def __init__(self, entity: str, pattern: str, resolve: Callable[[re.Match, date], Any]):
        self.entity = entity
        self.regex = re.compile(pattern)
        self.resolve = resolve


def _r_full(m: re.Match, today: date) -> str | None:
    y, mo, d = _year(m["y"]), to_int(m["m"]), to_int(m["d"])
    if y is None or mo is None or d is None:
        return None
    value = _safe_date(y, mo, d)
    return value.isoformat() if value else None


def _r_month_day(m: re.Match, today: date) -> str | None:
    mo, d = to_int(m["m"]), to_int(m["d"])
    if mo is None or d is None:
        return None
    prefix = m.groupdict().get("rel") or ""
    if prefix in ("今年", "本年"):
        value = _safe_date(today.year, mo, d)
    elif prefix in ("明年",):
        value = _safe_date(today.year + 1, mo, d)
    else:
        value = _next_month_day(today, mo, d)
    return value.isoformat() if value else None


def _r_month_rel_day(m: re.Match, today: date) -> str | None:
    d = to_int(m["d"])
    if d is None:
        return None
    offset = 1 if m["rel"].startswith("下") else 0
    y, mo = today.year, today.month + offset
    if mo > 12:
        y, mo = y + 1, mo - 12
    value = _safe_date(y, mo, d)
    return value.isoformat() if value else None


def _r_bare_day(m: re.Match, today: date) -> str | None:
    d = to_int(m["d"])
    if d is None or not 1 <= d <= 31:
        return None
    y, mo = today.year, today.month
    for _ in range(3):
        value = _safe_date(y, mo, d)
        if value and value >= today:
            return value.isoformat()
        mo += 1
        if mo > 12:
            y, mo = y + 1, 1
    return None


def _r_relative(m: re.Match, today: date) -> str:
    return (today + timedelta(days=_RELATIVE_DAYS[m.group(0)])).isoformat()


def _r_weekday(m: re.Match, today: date) -> str | None:
    rel = (m["rel"] or "").replace("个", "")
    wd = _WEEKDAY.get(m["wd"])
    if wd is None:
        return None
    monday = today - timedelta(days=today.weekday())
    if rel in ("下下",):
        value = monday + timedelta(days=14 + wd)
    elif rel == "下":
        value = monday + timedelta(days=7 + wd)
    elif rel == "上":
        value = monday - timedelta(days=7 - wd)
    elif rel in ("这", "本", "这一"):
        value = monday + timedelta(days=wd)
    elif _HABITUAL.match(m.string, m.end()):
        return None  # 受理中心周六开门吗: every Saturday, not a date
    else:  # bare 周五: the coming one (today counts)
        value = monday + timedelta(days=wd)
        if value < today:
            value += timedelta(days=7)
    return value.isoformat()


_HABITUAL = re.compile(
    r"\s*(?:也|都|还|一般|是否|是不是)?\s*(?:开门|上班|休息|营业|办公|开放|有人|开不开|开吗|上不上班|放假|关门)"
)


def _r_solar_festival(m: re.Match, today: date) -> str | None:
    mo, d = _SOLAR_FESTIVALS[m.group("f")]
    value = _next_month_day(today, mo, d)
    return value.isoformat() if value else None


def _r_lunar_festival(m: re.Match, today: date) -> str | None:
    mo, d = _LUNAR_FESTIVALS[m.group("f")]
    value = _next_lunar(today, mo, d)
    return value.isoformat() if value else None


def _r_520(m: re.Match, today: date) -> str | None:
    digits = m.group("n")
    value = _next_month_day(today, int(digits[0]), int(digits[1:]))
    return value.isoformat() if value else None


def _alt(words) -> str:
    return "|".join(sorted((re.escape(w) for w in words), key=len, reverse=True))


_YEAR = r"(?P<y>(?:19|20)\d{2}|[一二][〇零○九][〇零○一二三四五六七八九]{2})"

DATE_RULES: list[_Rule] = [
    _Rule("date", _YEAR + r"\s*年\s*" + _MONTH + r"\s*月\s*" + _DAY + r"\s*[日号]?", _r_full),
    _Rule(
        "date",
        r"(?<![0-9])(?P<y>(?:19|20)\d{2})[-/.](?P<m>1[0-2]|0?[1-9])[-/.](?P<d>3[01]|[12][0-9]|0?[1-9])(?![0-9])",
        _r_full,
    ),
    _Rule(
        "date",
        r"(?P<rel>今年|明年|本年)?" + _MONTH + r"\s*月(?:份)?\s*" + _DAY + r"\s*(?:[日号]|(?![0-9十]))",
        _r_month_day,
    ),
    _Rule("date", r"(?P<rel>下个?月|这个?月|本月)\s*" + _DAY + r"\s*[日号]", _r_month_rel_day),
    _Rule(
        "date",
        r"(?<![0-9.])(?P<m>1[0-2]|0?[1-9])[./](?P<d>3[01]|[12][0-9]|0?[1-9])" + _NOT_NUM_AFTER + r"(?![%％])",
        _r_month_day,
    ),
    _Rule("date", r"(?<![0-9])(?P<n>520|521)(?![0-9.%％万千百元块号人岁个次])", _r_520),
    _Rule("date", _alt(_RELATIVE_DAYS), _r_relative),
    _Rule(
        "date",
        r"(?P<rel>(?<!一)下下个?|下个?|上个?|这个?|本|这一)?(?:周|星期|礼拜)(?P<wd>[一二三四五六日天末1-7])",
        _r_weekday,
    ),
    _Rule("date", r"(?P<f>" + _alt(_LUNAR_FESTIVALS) + r")", _r_lunar_festival),
    _Rule(
        "date",
        r"(?P<f>" + _alt(k for k in _SOLAR_FESTIVALS if k not in ("十一", "五一", "六一")) + r")",
        _r_solar_festival,
    ),
    _Rule(
        "date",
        r"(?<![0-9一二三四五六七八九十两几第])(?P<f>五一|十一|六一)(?=假期|节|长假|那天|当天|$|[^0-9一二三四五六七八九十百千万个号点块元月年日天岁楼路人口位期届次])",
        _r_solar_festival,
    ),
    # bare day of month: 3号, 十五号 (not 3号楼, 1号线, 几号窗口)
    _Rule("date", r"(?<![0-9一二三四五六七八九十月第几])" + _DAY + r"\s*号(?![楼线门床房室院机车窗位码])", _r_bare_day),
]

_TOD_AM = ("上午", "早上", "早晨", "清早", "一早", "大清早", "上半天", "早上头", "早晨头")
_TOD_PM = ("下午", "中午以后", "中午后", "午后", "下半天", "下晝", "下昼")
TOD_RULE = re.compile(r"(?<![一整半])(?P<t>" + _alt(_TOD_AM + _TOD_PM) + r")(?!好)")

_PC_NUM = r"(?P<n>[0-9]{1,2}|十[一二三四五六七八九]?|[一二两三四五六七八九])"
PERSON_RULES = [
    re.compile(r"一家" + _PC_NUM + r"口"),
    re.compile(_PC_NUM + r"\s*口(?:人|之家)"),
    re.compile(
        r"(?:家里|家里头|屋里|我们家|我家|户里|户口上|户口本上)(?:有|就|一共|总共|共)?(?:有)?"
        + _PC_NUM
        + r"\s*(?:个人|口|人)"
    ),
    re.compile(r"(?:一共|总共|共)" + _PC_NUM + r"\s*(?:个人|口人)"),
    re.compile(r"(?P<one>(?:就|只有|只|光)?(?:我|俺|老头|老太)?一个人)(?![员民])"),
    re.compile(r"(?P<two>老两口|两口子|我们两口|小两口|夫妻俩|夫妻两个|我们俩|我俩)"),
]

_AMOUNT_NUM = r"(?P<n>(?:[0-9]+(?:\.[0-9]+)?|[零〇一二两三四五六七八九十百千万点]+)(?:[千万百](?:[零〇一二两三四五六七八九]|[0-9])?)?)"
AMOUNT_RULE = re.compile(
    r"(?<![0-9.])" + _AMOUNT_NUM + r"\s*(?P<cur>块钱|块|元钱|元|圆|rmb|RMB)?(?P<extra>多|左右|出头)?"
)
_AMOUNT_CONTEXT = re.compile(
    r"(收入|工资|退休金|养老金|存款|存了|医药费|药费|花了|花掉|自费|自付|标准|补贴|补助|津贴|房租|"
    r"每月|每个月|一个月|月入|拿|领|给|挣|赚|欠|借|有)\s*(?:大概|大约|才|只有|就|是|有|约|差不多|不到|将近)?\s*$"
)
_AMOUNT_BLOCK_AFTER = re.compile(
    r"^\s*(?:多)?(?:岁|号|日|月|年|天|周|平|米|个|次|趟|公里|里|斤|户|口|人|层|楼|级|分|点|小时|钟|寸|张|份|项|"
    r"倍|%|％|级|路|弄|室|床|名|位|家|间|栋|幢|号楼|期)"
)


def _amount_value(token: str) -> int | None:
    token = token.replace("〇", "零")
    if token in ("点",) or not any(c in "0123456789一二两三四五六七八九十" for c in token):
        return None
    try:
        value = cn2an.cn2an(token, "smart")
    except (ValueError, KeyError, IndexError, TypeError):
        return None
    value = float(value)
    return int(round(value)) if value > 0 else None


def extract(text: str, now: datetime) -> list[dict[str, Any]]:
    """All date/time/person/amount entities in ``text`` relative to ``now``."""
    norm = normalise(text)
    today = now.date()
    found: list[dict[str, Any]] = []
    taken = [False] * len(norm)

    def free(start: int, end: int) -> bool:
        return not any(taken[start:end])

    def add(entity: str, start: int, end: int, value: Any) -> None:
        for i in range(start, end):
            taken[i] = True
        found.append({"entity": entity, "start": start, "end": end, "value": value, "text": text[start:end]})

    # 1. long digit runs (IDs, phones) are not dates or amounts
    for m in re.finditer(r"[0-9Xx]{7,}", norm):
        for i in range(m.start(), m.end()):
            taken[i] = True

    # 2. dates, most specific rule first
    for rule in DATE_RULES:
        for m in rule.regex.finditer(norm):
            if not free(m.start(), m.end()):
                continue
            try:
                value = rule.resolve(m, today)
            except Exception:  # a parser hiccup must never break message handling
                logger.debug("date rule failed on %r", m.group(0), exc_info=True)
                value = None
            if value:
                add("date", m.start(), m.end(), value)

    # 3. time of day
    for m in TOD_RULE.finditer(norm):
        if free(m.start(), m.end()):
            add("time_of_day", m.start(), m.end(), "上午" if m["t"] in _TOD_AM else "下午")

    # 4. household size
    for rule in PERSON_RULES:
        for m in rule.finditer(norm):
            start, end = m.span()
            if not free(start, end):
                continue
            groups = m.groupdict()
            if groups.get("one"):
                value: int | None = 1
            elif groups.get("two"):
                value = 2
            else:
                value = to_int(groups["n"].replace("两", "二"))
            if value and 0 < value < 30:
                add("person_count", start, end, value)

    # 5. money
    for m in AMOUNT_RULE.finditer(norm):
        start, end = m.span()
        token = m["n"]
        if not token or not free(start, end):
            continue
        after = norm[end:]
        has_magnitude = any(c in token for c in "千万百")
        is_digits = token.replace(".", "").isdigit()
        if (
            not is_digits
            and not m["cur"]
            and len(token) >= 3
            and token[-2] in "千万百"
            and token[-1] in "一两二三"
            and after[:1] in ("个", "口", "位", "家", "次")
        ):
            token = token[:-1]  # 三千一个月 -> 三千 (+ 一个月)
            value = _amount_value(token)
            if value:
                add("amount", start, start + len(token), value)
            continue
        if _AMOUNT_BLOCK_AFTER.match(after) and not m["cur"]:
            continue
        has_context = bool(_AMOUNT_CONTEXT.search(norm[max(0, start - 8) : start]))
        if not (
            m["cur"]
            or (has_magnitude and not is_digits)
            or (has_magnitude and token[-1] in "千万")
            or (is_digits and has_context and len(token) >= 3)
        ):
            continue
        if not is_digits and token[0] in "十百千万点" and not m["cur"]:
            continue  # 千万别, 万一
        value = _amount_value(token)
        if value is None or value < 10:
            continue
        end_text = m.end("extra") if m["extra"] else (m.end("cur") if m["cur"] else m.end("n"))
        add("amount", start, end_text, value)

    found.sort(key=lambda e: e["start"])
    merged: list[dict[str, Any]] = []
    for ent in found:  # 五一劳动节, 下周三12月2号: one date, not two
        prev = merged[-1] if merged else None
        if (
            prev
            and prev["entity"] == ent["entity"] == "date"
            and prev["value"] == ent["value"]
            and ent["start"] - prev["end"] <= 1
        ):
            prev["end"] = ent["end"]
            prev["text"] = text[prev["start"] : prev["end"]]
            continue
        merged.append(ent)
    return merged


# --------------------------------------------------------------------- Rasa component
try:  # the pure functions above are usable (and tested) without Rasa installed
    from rasa.engine.graph import ExecutionContext, GraphComponent
    from rasa.engine.recipes.default_recipe import DefaultV1Recipe
    from rasa.engine.storage.resource import Resource
    from rasa.engine.storage.storage import ModelStorage
    from rasa.nlu.extractors.extractor import EntityExtractorMixin
    from rasa.shared.nlu.constants import ENTITIES, TEXT
    from rasa.shared.nlu.training_data.message import Message
except ImportError:  # pragma: no cover
    GraphComponent = None  # type: ignore

if GraphComponent is not None:

    @DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
    class ChineseDateNumberExtractor(GraphComponent, EntityExtractorMixin):
        """Adds ``date``, ``time_of_day``, ``person_count`` and ``amount`` entities."""

        @staticmethod
        def get_default_config() -> dict[str, Any]:
            return {"dimensions": ["date", "time_of_day", "person_count", "amount"]}

        def __init__(self, config: dict[str, Any]) -> None:
            self._dimensions = set(config.get("dimensions") or [])

        @classmethod
        def create(
            cls,
            config: dict[str, Any],
            model_storage: ModelStorage,
            resource: Resource,
            execution_context: ExecutionContext,
        ) -> ChineseDateNumberExtractor:
            return cls(config)

        def process(self, messages: list[Message]) -> list[Message]:
            for message in messages:
                text = message.get(TEXT)
                if not text:
                    continue
                now = reference_time(message.get("metadata"))
                existing = message.get(ENTITIES, [])
                spans = [(e.get("start", -1), e.get("end", -1)) for e in existing]
                new = []
                for ent in extract(text, now):
                    if ent["entity"] not in self._dimensions:
                        continue
                    if any(s < ent["end"] and ent["start"] < e for s, e in spans):
                        continue
                    new.append({**ent, "confidence": 1.0})
                if new:
                    message.set(ENTITIES, existing + self.add_extractor_name(new), add_to_output=True)
            return messages
