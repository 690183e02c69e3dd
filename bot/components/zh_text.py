"""Small text helpers shared by the entity extractors (no Rasa imports here).

``normalise`` maps traditional characters, full-width digits/letters and spoken
digit forms to their plain simplified form *one character for one character*, so
offsets found in the normalised text are offsets in the original text too.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")  # no DST in China since 1991

# traditional -> simplified, only characters residents use for this service
_TRAD = (
    "結结離离證证養养區区險险補补貼贴預预約约門门間间號号週周個个這这們们時时幫帮辦办"
    "麼么費费錢钱說说謝谢嗎吗沒没來来過过還还對对會会問问題题報报發发長长歲岁護护醫医"
    "療疗殯殡殘残兒儿組组織织務务處处與与為为廳厅顧顾體体頭头車车東东樂乐後后幾几兩两"
    "萬万塊块戶户點点裡里裏里準准標标條条極极聯联絡络電电話话碼码書书寫写現现進进應应"
    "當当從从將将樣样實实員员驗验檢检歡欢詢询優优減减額额給给親亲愛爱婦妇婁娄歸归館馆"
    "團团資资產产農农貧贫紀纪級级請请訴诉訂订閱阅頁页單单難难際际護护養养餘余親亲屬属"
    "讓让學学紹绍認认識识這这邊边閒闲鐘钟點点餐餐飯饭園园場场塊块億亿壹一貳二參三肆四"
    "伍五陸六柒七捌八玖九拾十佰百仟千禮礼領领並并衛卫輪轮錯错誰谁關关閉闭開开聽听網网孫孙媽妈爺爷舊旧"
    "鄉乡區区縣县鎮镇華华寶宝陽阳灣湾興兴橋桥園园場场樓楼廣广銀银買买賣卖價价貴贵換换約约記记"
)
_TABLE = {ord(_TRAD[i]): _TRAD[i + 1] for i in range(0, len(_TRAD) - 1, 2)}
_TABLE.update({0xFF10 + i: str(i) for i in range(10)})  # full-width digits
_TABLE.update({0xFF21 + i: chr(0x41 + i) for i in range(26)})
_TABLE.update({0xFF41 + i: chr(0x61 + i) for i in range(26)})
_TABLE.update({ord("．"): ".", ord("－"): "-", ord("／"): "/", ord("＋"): "+"})


def normalise(text: str) -> str:
    """Same length as ``text``; traditional -> simplified, full-width -> ASCII."""
    return text.translate(_TABLE)


_CN_DIGIT = {
    "零": "0",
    "〇": "0",
    "○": "0",
    "Ｏ": "0",
    "幺": "1",
    "一": "1",
    "二": "2",
    "两": "2",
    "三": "3",
    "四": "4",
    "五": "5",
    "六": "6",
    "七": "7",
    "八": "8",
    "九": "9",
}


def spoken_digits(text: str, min_run: int = 7) -> str:
    """Turn runs of spoken digits (一三八幺二...) of at least ``min_run`` characters into
    ASCII digits, keeping the length; shorter runs (三口人, 一千五) are left alone."""
    out = list(text)
    i = 0
    while i < len(text):
        if text[i] in _CN_DIGIT or text[i].isdigit():
            j = i
            while j < len(text) and (text[j] in _CN_DIGIT or text[j].isdigit()):
                j += 1
            if j - i >= min_run and any(c in _CN_DIGIT for c in text[i:j]):
                for k in range(i, j):
                    out[k] = _CN_DIGIT.get(text[k], text[k])
            i = j
        else:
            i += 1
    return "".join(out)


def reference_time(metadata: Mapping[str, Any] | None = None) -> datetime:
    """The time a message was sent, in Asia/Shanghai.

    Order: message metadata (``reference_time`` ISO string, or ``timestamp`` /
    ``time`` / ``CreateTime`` epoch seconds or milliseconds), then the environment
    variable ``CIVIC_NLU_NOW`` (ISO, for reproducible evaluations), then now.
    """
    candidates = []
    if metadata:
        for key in ("reference_time", "timestamp", "time", "CreateTime", "create_time"):
            if metadata.get(key) not in (None, ""):
                candidates.append(metadata[key])
    if os.environ.get("CIVIC_NLU_NOW"):
        candidates.append(os.environ["CIVIC_NLU_NOW"])
    for value in candidates:
        parsed = _parse_time(value)
        if parsed is not None:
            return parsed
    return datetime.now(SHANGHAI)


def _parse_time(value: Any) -> datetime | None:
    try:
        if isinstance(value, (int, float)) or (isinstance(value, str) and value.strip().isdigit()):
            seconds = float(value)
            if seconds > 1e11:  # milliseconds
                seconds /= 1000.0
            return datetime.fromtimestamp(seconds, SHANGHAI)
        if isinstance(value, str):
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=SHANGHAI)
            return parsed.astimezone(SHANGHAI)
    except (ValueError, OverflowError, OSError):
        return None
    return None
