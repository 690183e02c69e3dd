"""The published standards (``backoffice/seed/assistance_standards.yaml``), read as data.

The file is re-read when it changes, so an administrator's edit takes effect without a
restart. A district has a list of versions; the one in force on a date is the latest
whose ``effective_from`` is not after it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from backoffice.datafile import DataFile

STANDARDS_FILE = Path(__file__).resolve().parent.parent / "seed" / "assistance_standards.yaml"
STATUSES = ("受理", "入户调查", "经济状况核对", "审核公示", "审批", "发放", "退回", "不予批准")


@dataclass(frozen=True)
class Standard:
    district_code: str
    effective_from: date
    figures: dict[str, Any]

    @property
    def dibao(self) -> int:
        return int(self.figures["dibao_per_person_month"])

    @property
    def low_income_line(self) -> int:
        return int(self.dibao * self.figures["low_income_multiplier"])

    def savings_limit(self, household_size: int) -> int:
        limits = self.figures["savings_per_person_max"]
        return int(limits["small_household"] if household_size <= 2 else limits["other"])

    def as_json(self) -> dict[str, Any]:
        return {
            "district_code": self.district_code,
            "effective_from": self.effective_from.isoformat(),
            "low_income_line": self.low_income_line,
            **self.figures,
        }


_cache = DataFile(STANDARDS_FILE)


def standard_for(district_code: str, on: date | None = None) -> Standard | None:
    on = on or date.today()
    versions = [
        s for s in _cache.get()["standards"] if str(s["district"]) == district_code and s["effective_from"] <= on
    ]
    if not versions:
        return None
    latest = max(versions, key=lambda s: s["effective_from"])
    figures = {k: v for k, v in latest.items() if k not in ("district", "effective_from")}
    return Standard(district_code, latest["effective_from"], figures)


def in_force(on: date | None = None) -> list[Standard]:
    """The standard in force ``on`` a day in every district that has one."""
    codes = sorted({str(s["district"]) for s in _cache.get()["standards"]})
    return [std for std in (standard_for(code, on) for code in codes) if std is not None]


def programs() -> dict[str, dict[str, Any]]:
    return _cache.get()["programs"]


def process_step(status: str) -> dict[str, str]:
    return _cache.get()["process"].get(status, {"plain": status, "next": ""})
