"""Recognising and masking residents' personal data (ID numbers, phones) and credentials.

Used by the logging filter, the agent console and anything that exports text.

A number is found in every form the bot itself accepts (bot/components/id_phone.py), and in a
few more: ASCII or full-width digits (any Unicode decimal digit, after NFKC), spoken digits
(幺三八…, 一三八…, 壹贰叁…), groups split by spaces, hyphens or dots (138 1234 5678,
138-1234-5678, 310107 19450312 2044), and a +86 / 0086 prefix. Masking replaces only the
hidden digits with ``*`` and keeps every other character as it was, so the text stays readable:
``手机 138 1234 5678`` → ``手机 138 **** 5678``, ``幺三八一二三四五六七八`` → ``幺三八****五六七八``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Literal

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_SHANGHAI = timezone(timedelta(hours=8))  # residents' calendar: no DST in China since 1991
OLDEST_BIRTH_YEAR = 1900  # an ID number born earlier is a typo, not a resident

# An 18-character resident ID: 6-digit region, 8-digit birth date, 3-digit sequence, check.
ID_NUMBER_RE = re.compile(
    r"(?<![0-9A-Za-z])[1-9]\d{5}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![0-9A-Za-z])"
)
# A mainland mobile number: 11 digits starting 13-19, as plain ASCII (slot values, registry data).
PHONE_RE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")

# The shapes a run of digits is compared with once separators are gone.
_ID_SHAPE = re.compile(r"[1-9]\d{5}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx]")
_PHONE_SHAPE = re.compile(r"(?:0086|86)?(1[3-9]\d{9})")

# Spoken and financial digits (voice recognition writes 幺三八…; forms sometimes 壹贰叁…).
_SPOKEN = dict(zip("零〇○幺一二两三四五六七八九壹贰貳叁參肆伍陆陸柒捌玖", "00011223456789122334566789"))
# Separators between digit groups (after NFKC: the ideographic space is a space, － is -).
_SEP = r"[ \t\-\u2010-\u2015\u2212.\u00b7\u30fb]"
_CHAIN = re.compile(rf"[0-9]+(?:{_SEP}{{1,3}}[0-9]+)*(?:[Xx](?![0-9A-Za-z]))?")


class _DigitView(dict[int, str]):
    """``str.translate`` table: every character to one character, digits of any form to ASCII
    (so offsets in the view are offsets in the text). Filled on first sight of a character."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        out = _SPOKEN.get(char)
        if out is None:
            plain = unicodedata.normalize("NFKC", char)
            if len(plain) != 1:
                plain = char
            digit = unicodedata.decimal(plain, None)
            out = str(digit) if digit is not None else plain
        self[code] = out
        return out


_VIEW = _DigitView()


@dataclass(frozen=True)
class PersonalNumber:
    """An ID number or phone found in free text: its plain value and where its characters are."""

    kind: Literal["id_number", "phone"]
    value: str  # ASCII digits (an ID's check character upper-case), without separators or +86
    start: int  # the span in the text, separators and prefix included
    end: int
    positions: tuple[int, ...]  # the offset of each character of ``value``

    def hidden(self) -> tuple[int, ...]:
        """The offsets masking hides: all but the first 3 and the last 4 characters."""
        return self.positions[3:-4]


def find_personal_numbers(text: str) -> list[PersonalNumber]:
    """Every ID number and mobile phone in ``text``, in any of the forms described above."""
    view = text.translate(_VIEW)
    found: list[PersonalNumber] = []
    for chain in _CHAIN.finditer(view):
        groups = _groups(text, view, chain.start(), chain.end())
        i = 0
        while i < len(groups):
            hit = _match_at(view, groups, i)
            if hit is None:
                i += 1
                continue
            number, i = hit
            found.append(number)
    return found


def _groups(text: str, view: str, start: int, end: int) -> list[list[int]]:
    """The offsets of each digit group of a chain: split at separators, and where written digits
    meet spoken ones (一13812345678 is the word 一 and a phone)."""
    groups: list[list[int]] = []
    current: list[int] = []
    spoken_before: bool | None = None
    for k in range(start, end):
        if view[k] not in "0123456789Xx":
            if current:
                groups.append(current)
            current, spoken_before = [], None
            continue
        spoken = text[k] in _SPOKEN
        if current and spoken != spoken_before:
            groups.append(current)
            current = []
        current.append(k)
        spoken_before = spoken
    if current:
        groups.append(current)
    return groups


def _match_at(view: str, groups: list[list[int]], i: int) -> tuple[PersonalNumber, int] | None:
    """An ID number (tried first) or a phone made of groups ``i``…``j``, and the next group."""
    for kind, longest in (("id_number", 18), ("phone", 15)):
        positions: list[int] = []
        for j in range(i, len(groups)):
            positions += groups[j]
            if len(positions) > longest:
                break
            digits = "".join(view[p] for p in positions)
            if kind == "id_number" and len(digits) == 18 and _ID_SHAPE.fullmatch(digits):
                return PersonalNumber(kind, digits.upper(), positions[0], positions[-1] + 1, tuple(positions)), j + 1
            phone = _PHONE_SHAPE.fullmatch(digits) if kind == "phone" else None
            if phone:
                kept = tuple(positions[phone.start(1) :])
                start = positions[0] - (1 if positions[0] and view[positions[0] - 1] == "+" else 0)
                return PersonalNumber("phone", phone.group(1), start, positions[-1] + 1, kept), j + 1
    return None


def is_valid_phone(value: str) -> bool:
    """True for exactly one mobile number and nothing else."""
    return PHONE_RE.fullmatch(value) is not None


def find_phone(text: str) -> str | None:
    """The first mobile number in ``text`` (any form above), as 11 ASCII digits."""
    return next((n.value for n in find_personal_numbers(text) if n.kind == "phone"), None)


def id_check_char(first17: str) -> str:
    return _CHECK[sum(int(c) * w for c, w in zip(first17, _WEIGHTS)) % 11]


def is_valid_id_number(value: str, today: date | None = None) -> bool:
    """True for an 18-character ID with a real birth date (not in the future, not before 1900)
    and a correct check character."""
    value = value.strip().upper()
    if not re.fullmatch(r"\d{17}[\dX]", value):
        return False
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return False
    if not date(OLDEST_BIRTH_YEAR, 1, 1) <= born <= (today or datetime.now(_SHANGHAI).date()):
        return False
    return id_check_char(value[:17]) == value[17]


def mask_id_number(value: str) -> str:
    value = value.strip()
    return value[:3] + "*" * (len(value) - 7) + value[-4:] if len(value) > 7 else "*" * len(value)


def mask_phone(value: str) -> str:
    return value[:3] + "****" + value[-4:] if len(value) == 11 else "*" * len(value)


def mask_name(value: str) -> str:
    """张三丰 -> 张**: keep the family name only."""
    return value[:1] + "*" * (len(value) - 1) if value else value


def mask_text(text: str) -> str:
    """Mask every ID number and mobile phone found in free text, in any form; the rest unchanged."""
    numbers = find_personal_numbers(text)
    if not numbers:
        return text
    chars = list(text)
    for number in numbers:
        for k in number.hidden():
            chars[k] = "*"
    return "".join(chars)


def remove_personal_numbers(text: str) -> str:
    """``text`` without its ID numbers and phones (each span, separators and +86 included)."""
    for number in reversed(find_personal_numbers(text)):
        text = text[: number.start] + text[number.end :]
    return text


# Credentials in URLs and headers: `?token=…`, `access_token=…`, `Bearer …`, `scheme://user:pw@`.
_CREDENTIAL_RES = (
    re.compile(r"(?i)(\b[a-z_]*(?:token|secret|password|passwd|api_?key)=)([^&\s\"'<>;,)]+)"),
    re.compile(r"(?i)(\bbearer\s+)([A-Za-z0-9._~+/=*-]+)"),
    re.compile(r"(://[^/\s:@]*:)([^@\s/]+)(?=@)"),
)


def _hide(m: re.Match[str]) -> str:
    return m.group(0) if set(m.group(2)) == {"*"} else m.group(1) + "***"  # masked already (Celery: **)


def mask_credentials(text: str) -> str:
    """Hide the value of every token, secret or password written into ``text`` (URLs, headers)."""
    for pattern in _CREDENTIAL_RES:
        text = pattern.sub(_hide, text)
    return text
