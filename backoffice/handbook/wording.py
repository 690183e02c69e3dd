"""Reading a resident's question in the handbook's own words before searching.

Residents write traditional characters (收養登記), pick the wrong character of the same sound
from the input method (时间银航, 惠民宾葬怎么报消, 康复辅俱) and tell a story before the question.
Traditional characters are made simplified by ``common.simplified`` (shared with the actions).
``SoundAlike`` replaces a run of characters that is not a handbook word but sounds like one (toneless pinyin, with the
initials and finals southern speakers mix up treated alike) and shares a character with it in the
same place, so 银航 becomes 银行 but a word that merely rhymes with a handbook word stays itself.
Only a run jieba could not read as words is corrected: it begins and ends between words and holds
a character jieba left on its own (银/航), so 儿子有 is never read as 儿只有;
``key_sentences`` gives the clauses of a long question that carry what is asked.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from itertools import product

import jieba
from pypinyin import Style, lazy_pinyin, pinyin

# Initials and finals many southern (Shanghainese) speakers and their input habits do not tell apart.
_FUZZY = ((re.compile(r"^([zcs])h"), r"\1"), (re.compile(r"^l"), "n"), (re.compile(r"(?<=[ie])ng$"), "n"))
_HANZI = re.compile(r"^[\u4e00-\u9fff]+$")
MAX_WORD = 4

# Where a clause ends: punctuation, spaces, and the fillers that stand for a pause in voice text.
_CLAUSE_BREAK = re.compile(r"[，。！？,.!?；;：:、~～\s]+|那个|就是说|然后呢?")
# A clause that asks something (Mandarin and Shanghainese question words and particles).
_ASKS = re.compile(r"[吗呢伐么？?]|什么|啥|哪|怎么|怎样|如何|多少|几|有没有|能不能|可不可以|是不是|要不要|谁")


def _fuzzy(syllable: str) -> str:
    for pattern, repl in _FUZZY:
        syllable = pattern.sub(repl, syllable)
    return syllable


@lru_cache(maxsize=4096)
def _char_sounds(char: str) -> tuple[str, ...]:
    """Every reading of one character (heteronyms: 行 is xing and hang), fuzzy and toneless."""
    readings = pinyin(char, style=Style.NORMAL, heteronym=True)[0]
    return tuple(sorted({_fuzzy(r) for r in readings}))


def _word_sound(word: str) -> tuple[str, ...]:
    return tuple(_fuzzy(s) for s in lazy_pinyin(word))


class SoundAlike:
    """The handbook's words by sound, to read a question's same-sound misspellings as those words."""

    def __init__(self, words: Iterable[str]) -> None:
        self._words = {w for w in words if 2 <= len(w) <= MAX_WORD and _HANZI.match(w)}
        self._by_sound: dict[tuple[str, ...], list[str]] = {}
        for word in sorted(self._words):
            self._by_sound.setdefault(_word_sound(word), []).append(word)

    def _alike(self, window: str) -> str | None:
        for sound in product(*(_char_sounds(c) for c in window)):
            for word in self._by_sound.get(sound, ()):
                if any(a == b for a, b in zip(word, window)):
                    return word
        return None

    def correct(self, text: str) -> str:
        """``text`` with each run of 2–4 characters that only sounds like a handbook word replaced by it;
        the longest run wins, a handbook word already spelt right is kept."""
        words = list(jieba.tokenize(text, HMM=False))
        bounds = {start for _w, start, _e in words} | {len(text)}
        alone = {start for w, start, _e in words if len(w) == 1}
        out, i = [], 0
        while i < len(text):
            for n in range(MAX_WORD, 1, -1):
                window = text[i : i + n]
                if len(window) < n or not _HANZI.match(window):
                    continue
                if window in self._words:
                    out.append(window)
                    break
                if i in bounds and i + n in bounds and alone & set(range(i, i + n)) and (word := self._alike(window)):
                    out.append(word)
                    break
            else:
                out.append(text[i])
                n = 1
            i += n
        return "".join(out)


def key_sentences(text: str) -> list[str]:
    """For a question of several clauses: each clause that asks (else the last), alone and after each
    other clause, so "…走不了路，听说可以租轮椅和护理床，…是在哪里租的" is also read as
    "听说可以租轮椅和护理床 是在哪里租的". Empty for a question of one clause."""
    clauses = [c for c in _CLAUSE_BREAK.split(text) if c]
    if len(clauses) < 2:
        return []
    asks = [c for c in clauses if _ASKS.search(c)] or clauses[-1:]
    out: list[str] = []
    for ask in asks:
        out.append(ask)
        out += [f"{other} {ask}" for other in clauses if other not in asks]
    return out
