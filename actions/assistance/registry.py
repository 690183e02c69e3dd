"""Back-office reads the assistance actions need: the region's districts, streets and residents' committees
(and which is the most specific place a message names), who a sender is."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from actions import services
from common.backoffice_client import BackofficeError, BackofficeUnavailable
from common.simplified import simplified

COMMITTEE_SUFFIX = re.compile(r"(居委会|村委会|居委|村委)$")
STREET_SUFFIX = re.compile(r"(街道|镇|乡)$")


@dataclass(frozen=True)
class Street:
    name: str
    committees: tuple[str, ...]  # its residents' (villagers') committees, as the region names them
    district: str = ""  # the district it is in


@lru_cache(maxsize=1)
def _tree() -> tuple[dict[str, Any], ...]:
    return tuple(services.backoffice().get("/districts")["districts"])


def _region() -> tuple[dict[str, Any], ...]:
    try:
        return _tree()
    except BackofficeUnavailable:
        return ()


def districts() -> tuple[tuple[str, str], ...]:
    """(code, name) of every district of the region; empty when the back-office is unreachable."""
    return tuple((d["code"], d["name"]) for d in _region())


def streets() -> tuple[Street, ...]:
    """Every street (town) of the region with its committees; empty when the back-office is unreachable."""
    return tuple(
        Street(s["name"], tuple(c["name"] for c in s["communities"]), d["name"])
        for d in _region()
        for s in d["streets"]
    )


def _named(name: str, suffix: re.Pattern[str], said: str) -> int:
    """How long a mention of ``name`` (or of it without its suffix, two characters at least) ``said`` holds."""
    short = suffix.sub("", name)
    return max((len(n) for n in (name, short) if len(n) >= 2 and n in said), default=0)


@dataclass(frozen=True)
class Place:
    committee: str | None  # the most specific place named: a residents' committee
    street: Street | None  # the street named, or the committee's street


def place_in(said: list[str]) -> Place:
    """The most specific place the resident's words name (the NLU's place entities, then their message): a
    committee before a street, inside the street named when one is (长寿路街道西康居委会 is 西康居委会, not the
    street); a longer mention before a shorter one."""
    words = " ".join(said)
    named_street = max(
        ((_named(s.name, STREET_SUFFIX, words), s) for s in streets()), key=lambda m: m[0], default=(0, None)
    )
    street = named_street[1] if named_street[0] else None
    best: tuple[tuple[bool, int], str, Street] | None = None
    for s in streets():
        for committee in s.committees:
            length = _named(committee, COMMITTEE_SUFFIX, words)
            rank = (s == street, length)
            if length and (best is None or rank > best[0]):
                best = (rank, committee, s)
    if best is None:
        return Place(None, street)
    return Place(best[1], best[2])


def district_in(text: str) -> str | None:
    """The district named in ``text`` (普陀区, or just 普陀); else the district of the street or committee it names
    (a resident who does not know the district says where they live: "我住在曹杨新村")."""
    text = simplified(text)
    named = next((name for _, name in districts() if name in text or name.removesuffix("区") in text), None)
    if named:
        return named
    place = place_in([text])
    return place.street.district or None if place.street else None


def district_name(code: str) -> str | None:
    return next((name for c, name in districts() if c == code), None)


def bound_resident(sender_id: str) -> dict[str, Any] | None:
    """The registry entry of the resident this sender is bound to (实名绑定), if any."""
    try:
        return services.backoffice().get(f"/residents/by-openid/{sender_id}")
    except (BackofficeError, BackofficeUnavailable):
        return None
