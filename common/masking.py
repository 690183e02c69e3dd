"""Recognising and masking residents' personal data (ID numbers, phones).

Used by the logging filter, the agent console and anything that exports text.
"""

from __future__ import annotations

import re
from datetime import date

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"

# An 18-character resident ID: 6-digit region, 8-digit birth date, 3-digit sequence, check.
ID_NUMBER_RE = re.compile(
    r"(?<![0-9A-Za-z])[1-9]\d{5}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![0-9A-Za-z])"
)
# A mainland mobile number: 11 digits starting 13-19. The one definition every process uses.
PHONE_RE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


def is_valid_phone(value: str) -> bool:
    """True for exactly one mobile number and nothing else."""
    return PHONE_RE.fullmatch(value) is not None


def find_phone(text: str) -> str | None:
    """The first mobile number in ``text``."""
    m = PHONE_RE.search(text)
    return m.group(0) if m else None


def id_check_char(first17: str) -> str:
    return _CHECK[sum(int(c) * w for c, w in zip(first17, _WEIGHTS)) % 11]


def is_valid_id_number(value: str) -> bool:
    """True for an 18-character ID with a real birth date and a correct check character."""
    value = value.strip().upper()
    if not re.fullmatch(r"\d{17}[\dX]", value):
        return False
    try:
        date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
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
    """Mask every ID number and mobile phone found in free text."""
    text = ID_NUMBER_RE.sub(lambda m: mask_id_number(m.group(0)), text)
    return PHONE_RE.sub(lambda m: mask_phone(m.group(0)), text)
