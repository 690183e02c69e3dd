"""District standards (低保, 特困供养 …) that rules compare household income with.

They are the social-assistance domain's published data, served by the back-office
(``GET /assistance/standards?district=…``). Only when that answer cannot be had does the engine
use ``standards_fallback.yaml`` — documented constants, logged loudly, so a preview
is still possible while the back-office is down.
"""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from common.backoffice_client import BackofficeClient, BackofficeError, BackofficeUnavailable

log = logging.getLogger(__name__)

FALLBACK = Path(__file__).parent / "standards_fallback.yaml"
Standards = dict[str, dict[str, int]]  # district code -> standard name -> yuan per person per month


def from_backoffice_json(standard: dict[str, Any]) -> dict[str, int]:
    """One district's ``standard`` object from the back-office, reduced to the figures rules can name."""
    figures = {"低保": int(standard["dibao_per_person_month"])}
    tekun = (standard.get("tekun") or {}).get("basic_living_per_month")
    if tekun:
        figures["特困供养"] = int(tekun)
    return figures


def fallback() -> Standards:
    data = yaml.safe_load(FALLBACK.read_text(encoding="utf-8"))
    return {str(code): {k: int(v) for k, v in figures.items()} for code, figures in data["districts"].items()}


def load(client: BackofficeClient | None, district_codes: list[str], on: date | None = None) -> Standards:
    """The standards in force ``on`` a day for each district (``GET /assistance/standards?district=…``)."""
    if client is not None:
        out: Standards = {}
        try:
            for code in district_codes:
                params = {"district": code, **({"on": on.isoformat()} if on else {})}
                try:
                    out[code] = from_backoffice_json(client.get("/assistance/standards", **params)["standard"])
                except BackofficeError as exc:
                    if exc.code != "no_standard":
                        raise
            return out
        except (BackofficeUnavailable, BackofficeError, KeyError, ValueError, TypeError) as exc:
            log.warning(
                "district standards not available from the back-office; using the fallback table",
                extra={"error": str(exc)[:200]},
            )
    return fallback()
