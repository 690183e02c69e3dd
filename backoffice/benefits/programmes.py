"""The benefit programmes and their rules (``backoffice/seed/benefits.yaml``), read as data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from backoffice.datafile import DataFile

RULES_FILE = Path(__file__).resolve().parent.parent / "seed" / "benefits.yaml"
FUNERAL = ("funeral_waiver", "eco_burial")
DISABILITY = ("disability_living", "disability_care")
PROGRAMMES = FUNERAL + DISABILITY
TOPICS = {"funeral": FUNERAL, "disability": DISABILITY}
PREFIX = {"funeral_waiver": "BZ", "eco_burial": "BZ", "disability_living": "CJ", "disability_care": "CJ"}
STATUSES = ("受理", "审核", "审批", "发放", "退回", "不予批准")
_file = DataFile(RULES_FILE)


def rules() -> dict[str, Any]:
    return _file.get()


def section(programme: str) -> dict[str, Any]:
    """The programme's part of the file: funeral.waiver, funeral.eco_burial, disability.living, disability.care."""
    data = rules()
    return {
        "funeral_waiver": lambda: data["funeral"]["waiver"],
        "eco_burial": lambda: data["funeral"]["eco_burial"],
        "disability_living": lambda: data["disability"]["living"],
        "disability_care": lambda: data["disability"]["care"],
    }[programme]()


def title(programme: str) -> str:
    return str(section(programme)["title"])


def source(programme: str) -> str:
    return str((section(programme) if programme in FUNERAL else rules()["disability"])["source"])


def process_step(status: str) -> dict[str, str]:
    return rules()["process"].get(status, {"plain": status, "next": ""})
