"""Who a verified resident may apply for: themselves, or a member of their registry household.

The registry entry comes from the back-office (``GET /residents/by-openid/<sender>``), never from
what is typed in the chat: a verified resident's name, ID number, phone and community are read
from it (and read back masked), and a family member is chosen from the household by the relation
the resident names (我妈, 老伴 …), by name, or by number from the list the form shows.
"""

from __future__ import annotations

import json
from typing import Any

from actions import services
from actions.forms import CHOICE, CN_DIGITS
from common.backoffice_client import BackofficeError, BackofficeUnavailable
from common.masking import mask_name

VERIFIED, UNVERIFIED, UNKNOWN = "verified", "unverified", "unknown"
IDENTITY_SLOT = "assistance_identity"  # set by action_assistance_identity: whether the sender is verified (unknown: back-office down)

# generations relative to the head of household, as the registry's relations count them
GENERATION = {"户主": 0, "配偶": 0, "兄弟姐妹": 0, "子女": -1, "孙子女": -2, "父母": 1, "祖父母": 2}
# what a resident calls a relative (actions/assistance/words.yaml) → (generations from them, gender or kind)
SAID = {
    "母亲": (1, "女"),
    "父亲": (1, "男"),
    "祖父母": (2, None),
    "子女": (-1, None),
    "孙子女": (-2, None),
    "配偶": (0, "spouse"),
    "兄弟姐妹": (0, "sibling"),
}


def registry_entry(sender_id: str) -> tuple[str, dict[str, Any] | None]:
    """(``verified`` and the entry) / (``unverified``, None) / (``unknown``, None) when the back-office is down."""
    try:
        return VERIFIED, services.backoffice().get(f"/residents/by-openid/{sender_id}")
    except BackofficeError as exc:
        return (UNVERIFIED if exc.code == "not_bound" else UNKNOWN), None
    except BackofficeUnavailable:
        return UNKNOWN, None


def resume(kind: str | None) -> tuple[str, str]:
    """For :func:`actions.identity.ask_to_verify`: the message that starts the application again once the
    resident is verified, and the errand in words."""
    entities = json.dumps({"assistance_type": kind}, ensure_ascii=False) if kind else ""
    return f"/assistance_apply{entities}", f"{kind or '救助'}申请"


def others(me: dict[str, Any]) -> list[dict[str, Any]]:
    """The other members of the resident's registry household, in the registry's order."""
    return [m for m in me["household"]["members"] if m["id"] != me["id"]]


def _is(me: dict[str, Any], member: dict[str, Any], said: str) -> bool:
    """Whether ``member`` is what ``me`` calls ``said`` (母亲, 配偶 …), from both relations to the head."""
    if said not in SAID or me["relation"] not in GENERATION or member["relation"] not in GENERATION:
        return False
    delta, kind = SAID[said]
    if GENERATION[member["relation"]] - GENERATION[me["relation"]] != delta:
        return False
    couple = {me["relation"], member["relation"]} == {"户主", "配偶"}
    if kind == "spouse":
        return couple
    if kind == "sibling":
        return not couple
    return kind is None or member.get("gender") == kind


def matching(me: dict[str, Any], text: str, said: str | None) -> list[dict[str, Any]]:
    """The household members the resident's words point to: by name first, then by the relation named."""
    members = others(me)
    by_name = [m for m in members if m["name"] in text or (len(m["name"]) > 2 and m["name"][1:] in text)]
    if by_name:
        return by_name
    return [m for m in members if said and _is(me, m, said)]


def picked(me: dict[str, Any], text: str) -> dict[str, Any] | None:
    """The member the resident picked from the numbered list (2, 第二个), or named."""
    members = others(me)
    if m := CHOICE.match(text):
        index = int(m.group(1)) if m.group(1).isdigit() else CN_DIGITS[m.group(1)]
        return members[index - 1] if 0 < index <= len(members) else None
    found = matching(me, text, None)
    return found[0] if len(found) == 1 else None


def listing(me: dict[str, Any]) -> str:
    return "\n".join(f"{i}. {mask_name(m['name'])}（{m['age']}岁）" for i, m in enumerate(others(me), 1))


def community_name(code: str) -> str:
    try:
        return services.backoffice().get("/assistance/advisors", community=code)["community"]["name"]
    except (BackofficeError, BackofficeUnavailable):
        return code  # the back-office finds a community by its code as well


def filled_for(me: dict[str, Any], member: dict[str, Any] | None) -> dict[str, Any]:
    """The form's slots for an application for ``member`` (None: the resident), read from the registry: the
    applicant's name (masked) and ID number, the resident's phone (the advisor calls the one who applied), the
    household's community."""
    who = member or me
    community = me["hukou_community_code"] if member is None else me["household"]["community_code"]
    return {
        "assistance_member": mask_name(who["name"]),
        "assistance_id_number": who["id_number"],
        "assistance_phone": me.get("phone") or None,
        "assistance_community": community_name(community),
    }
