"""Loading the eldercare seed files (allowances, schemes) — upserts by natural key, so re-running is safe."""

from __future__ import annotations

from pathlib import Path

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from backoffice.eldercare.models import EldercareAllowance, EldercareScheme

SEED = Path(__file__).resolve().parent.parent / "seed"
SCHEME_FIELDS = ("title", "summary", "eligibility", "documents", "how_to_apply", "details", "source")
ALLOWANCE_FIELDS = ("kind", "benefit_names", "conditions", "documents", "how_to_apply", "source")


def _read(name: str) -> dict:
    return yaml.safe_load((SEED / name).read_text(encoding="utf-8"))


def load(sess: Session) -> None:
    allowances = _read("eldercare_allowances.yaml")
    for district in allowances["districts"]:
        for allowance in district["allowances"]:
            for band in allowance["bands"]:
                row = sess.scalar(
                    select(EldercareAllowance).where(
                        EldercareAllowance.district_code == district["district"],
                        EldercareAllowance.kind == allowance["kind"],
                        EldercareAllowance.age_min == band["age_min"],
                    )
                )
                if row is None:
                    row = EldercareAllowance(district_code=district["district"], age_min=band["age_min"])
                    sess.add(row)
                for field in ALLOWANCE_FIELDS:
                    setattr(row, field, allowance[field])
                row.age_max, row.monthly_amount = band["age_max"], band["monthly_amount"]
    for scheme in allowances["schemes"] + _read("eldercare_schemes.yaml")["schemes"]:
        row = sess.get(EldercareScheme, (scheme["key"], scheme["district"]))
        if row is None:
            row = EldercareScheme(key=scheme["key"], district_code=scheme["district"])
            sess.add(row)
        for field in SCHEME_FIELDS:
            setattr(row, field, scheme.get(field, {} if field == "details" else [] if field == "documents" else ""))
    sess.flush()
