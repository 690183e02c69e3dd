"""Back-office reads the assistance actions need: the region's districts, who a sender is."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from actions import services
from common.backoffice_client import BackofficeError, BackofficeUnavailable


@lru_cache(maxsize=1)
def _districts() -> tuple[tuple[str, str], ...]:
    return tuple((d["code"], d["name"]) for d in services.backoffice().get("/districts")["districts"])


def districts() -> tuple[tuple[str, str], ...]:
    """(code, name) of every district of the region; empty when the back-office is unreachable."""
    try:
        return _districts()
    except BackofficeUnavailable:
        return ()


def district_in(text: str) -> str | None:
    """The district named in ``text`` (普陀区, or just 普陀)."""
    return next((name for _, name in districts() if name in text or name.removesuffix("区") in text), None)


def district_name(code: str) -> str | None:
    return next((name for c, name in districts() if c == code), None)


def bound_resident(sender_id: str) -> dict[str, Any] | None:
    """The registry entry of the resident this sender is bound to (实名绑定), if any."""
    try:
        return services.backoffice().get(f"/residents/by-openid/{sender_id}")
    except (BackofficeError, BackofficeUnavailable):
        return None
