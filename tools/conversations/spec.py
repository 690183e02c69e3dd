"""The conversation data files (tests/conversations/data/*.yml) as plain, checked objects.

One file is a list of conversations; every conversation names its flow, the ways the resident talks
(``style``), who the resident is, what they type, and what must be true in the system afterwards
(``expect``). docs/nlu.md, "Conversation suite", describes the keys.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import yaml

DATA = Path(__file__).resolve().parents[2] / "tests" / "conversations" / "data"

FLOWS = frozenset(
    "marriage divorce assistance eldercare handbook policy handoff feedback identity smalltalk cemetery funeral "
    "disability".split()
)
STYLES = frozenset(
    (
        "several_facts facts_early correction side_question change_mind stop_and_return numbered_choice "
        "spoken_choice traditional voice_text shanghainese long_story typo dont_know elderly plain"
    ).split()
)
EXPECTS = frozenset({"booked", "cancelled", "applied", "answered", "handed_off", "none"})
CHANNELS = frozenset({"wechat", "web"})
GIVEN = frozenset({"booking", "disability_record"})  # what the system holds for this resident before the first message
PHOTO = "[图片]"  # a turn that sends a photo (a WeChat image message) instead of text, as the transcript shows it
DOCUMENTS = frozenset({"complete"})  # every application the sender made has each document it needs attached
_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_KEYS = frozenset(
    "id flow style channel resident gender age elderly partner spouse given turns expect answer_contains "
    "documents known_defect note until".split()
)


class SpecError(ValueError):
    """A data file breaks the format: the message names the file and the conversation."""


@dataclass(frozen=True)
class Conversation:
    id: str
    flow: str
    style: tuple[str, ...]
    turns: tuple[str, ...]
    expect: str
    source: str  # the data file's name
    channel: str = "wechat"
    resident: str = "anonymous"  # anonymous | verified
    gender: str | None = None  # 男 | 女: the verified resident's
    age: tuple[int, int] | None = None
    elderly: bool = False
    partner: bool = False  # a registry person of the other gender fills {partner_name} {partner_id_number}
    spouse: bool = False  # the verified resident lives with a spouse (配偶) in the registry
    given: tuple[str, ...] = ()
    answer_contains: tuple[str, ...] = ()
    documents: str | None = None  # complete: see DOCUMENTS
    known_defect: str | None = None  # e.g. issue-22: fails today for a known reason, reported apart
    note: str = ""
    until: date | None = None  # the last day the script can succeed (it names a date that will pass)


def _fail(source: str, cid: object, why: str) -> SpecError:
    return SpecError(f"{source}: {cid or '(no id)'}: {why}")


def _tuple(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)


def parse(item: dict, source: str) -> Conversation:
    cid = item.get("id") if isinstance(item, dict) else None
    if not isinstance(item, dict):
        raise _fail(source, cid, "a conversation is a mapping")
    unknown = set(item) - _KEYS
    if unknown:
        raise _fail(source, cid, f"unknown keys {sorted(unknown)}")
    if not isinstance(cid, str) or not _ID.match(cid):
        raise _fail(source, cid, "id must be kebab-case")
    checks = [
        (item.get("flow") in FLOWS, f"flow must be one of {sorted(FLOWS)}"),
        (set(_tuple(item.get("style"))) <= STYLES and _tuple(item.get("style")), "style: tags from the list"),
        (item.get("expect") in EXPECTS, f"expect must be one of {sorted(EXPECTS)}"),
        (item.get("channel", "wechat") in CHANNELS, "channel: wechat or web"),
        (item.get("resident", "anonymous") in ("anonymous", "verified"), "resident: anonymous or verified"),
        (item.get("gender") in (None, "男", "女"), "gender: 男 or 女"),
        (set(_tuple(item.get("given"))) <= GIVEN, f"given: from {sorted(GIVEN)}"),
        (bool(_tuple(item.get("turns"))), "turns: at least one message"),
        (item.get("expect") != "answered" or _tuple(item.get("answer_contains")), "answered needs answer_contains"),
        (all(isinstance(t, str | int) for t in item.get("turns") or []), f'a turn is text: quote "{PHOTO}"'),
        (item.get("documents") in (None, *DOCUMENTS), f"documents: one of {sorted(DOCUMENTS)}"),
        (
            PHOTO not in _tuple(item.get("turns")) or item.get("channel", "wechat") == "wechat",
            f"{PHOTO} is a WeChat image message: channel wechat",
        ),
    ]
    for ok, why in checks:
        if not ok:
            raise _fail(source, cid, why)
    until = item.get("until")
    if until is not None and not isinstance(until, date):
        raise _fail(source, cid, "until: a date, 2027-01-03")
    age = item.get("age")
    if age is not None and not (isinstance(age, list) and len(age) == 2 and age[0] <= age[1]):
        raise _fail(source, cid, "age: [min, max]")
    needs_record = item.get("partner") or item.get("spouse") or item.get("given") or item.get("gender")
    if needs_record and item.get("resident") != "verified":
        raise _fail(source, cid, "gender/age/partner/spouse/given need resident: verified")
    return Conversation(
        id=cid,
        flow=item["flow"],
        style=_tuple(item["style"]),
        turns=_tuple(item["turns"]),
        expect=item["expect"],
        source=source,
        channel=item.get("channel", "wechat"),
        resident=item.get("resident", "anonymous"),
        gender=item.get("gender"),
        age=tuple(age) if age else None,
        elderly=bool(item.get("elderly")),
        partner=bool(item.get("partner")),
        spouse=bool(item.get("spouse")),
        given=_tuple(item.get("given")),
        answer_contains=_tuple(item.get("answer_contains")),
        documents=item.get("documents"),
        known_defect=item.get("known_defect"),
        note=str(item.get("note") or ""),
        until=until,
    )


def load(folder: Path = DATA) -> list[Conversation]:
    """Every conversation of every ``*.yml`` in ``folder``, ids unique across files, in file then listed order."""
    found: list[Conversation] = []
    seen: dict[str, str] = {}
    for path in sorted(folder.glob("*.yml")):
        try:
            items = yaml.safe_load(path.read_text(encoding="utf-8")) or []
        except yaml.YAMLError as exc:
            raise SpecError(f"{path.name}: not YAML: {exc}") from None
        if not isinstance(items, list):
            raise SpecError(f"{path.name}: a list of conversations")
        for item in items:
            conv = parse(item, path.name)
            if conv.id in seen:
                raise _fail(path.name, conv.id, f"id also in {seen[conv.id]}")
            seen[conv.id] = path.name
            found.append(conv)
    return found
