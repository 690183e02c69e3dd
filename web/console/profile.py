"""The resident's bound profile (实名绑定) from the back-office, masked until an agent reveals it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from common.backoffice_client import BackofficeClient, BackofficeError, BackofficeUnavailable
from common.masking import mask_id_number, mask_phone
from web.channels.web_senders import verifiable
from web.conversations.models import Conversation


class ProfileUnavailable(Exception):
    pass


@dataclass(frozen=True)
class Profile:
    data: dict[str, Any]  # the back-office's resident record (GET /residents/by-openid/{openid})

    def masked(self) -> dict[str, Any]:
        """What the console shows before "reveal": ID number and phone masked."""
        household = self.data.get("household") or {}
        shown = {
            key: self.data.get(key)
            for key in ("name", "gender", "age", "id_number", "phone", "benefits", "living_alone", "disability_grade")
        }
        shown["address"] = household.get("address")
        shown["household_size"] = len(household.get("members") or [])
        if shown.get("id_number"):
            shown["id_number"] = mask_id_number(shown["id_number"])
        if shown.get("phone"):
            shown["phone"] = mask_phone(shown["phone"])
        return shown


METHODS = {"sms_otp": "短信验证码"}  # how the back-office says the resident proved who they are


@dataclass(frozen=True)
class Verification:
    """Whether the resident is verified (实名认证) and how, as the console shows it: masked name only."""

    verified: bool
    text: str  # 已实名（短信验证码） / 未实名 / 网页对话（未实名）
    masked_name: str = ""
    bound_at: str = ""


def verification(backoffice: BackofficeClient, conv: Conversation) -> Verification:
    """Read-only (a GET of the back-office binding): agents see whether a resident is verified, never bind one.
    A bare REST client names its own sender, so it is never verified (web/channels/web_senders.py)."""
    if not verifiable(conv.channel, conv.sender_id):
        return Verification(False, "网页对话（未实名）")
    try:
        found = backoffice.get(f"/identity/bindings/{quote(conv.sender_id, safe='')}")
    except BackofficeError as exc:
        if exc.status == 404:
            return Verification(False, "未实名")
        raise ProfileUnavailable(exc.message) from exc
    except BackofficeUnavailable as exc:
        raise ProfileUnavailable("业务系统暂时连不上") from exc
    how = METHODS.get(found.get("method", ""), found.get("method") or "")
    return Verification(
        True, f"已实名（{how}）" if how else "已实名", found.get("masked_name", ""), found.get("bound_at", "")[:10]
    )


def lookup(backoffice: BackofficeClient, conv: Conversation) -> Profile | None:
    """None when the resident is not bound (bare REST senders never are)."""
    if not verifiable(conv.channel, conv.sender_id):
        return None
    try:
        return Profile(backoffice.get(f"/residents/by-openid/{quote(conv.sender_id, safe='')}"))
    except BackofficeError as exc:
        if exc.status == 404:
            return None
        raise ProfileUnavailable(exc.message) from exc
    except BackofficeUnavailable as exc:
        raise ProfileUnavailable("业务系统暂时连不上") from exc
