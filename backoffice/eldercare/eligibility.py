"""Who may be eligible for the old-age allowances, as an audience rule the campaign builder starts from.

From the allowance bands of each district (``eldercare_allowance``, loaded from
``backoffice/seed/eldercare_allowances.yaml``): 户籍 in a district that pays the allowance and at least
the youngest band's age. 高龄津贴 was merged into 老年综合津贴 in Shanghai (2016); the registry still
records it under its old name, and its rule is the allowance's 高龄 bands, from :data:`HIGH_AGE`.
Rules are in the platform's audience-rule language (docs/campaigns.md, *The rule language*).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from backoffice.eldercare.models import EldercareAllowance

FORMER_HIGH_AGE_NAME = "高龄津贴"
HIGH_AGE = 80  # 高龄老人: 80 and older, the age the former 高龄津贴 started at


def eligibility(bands: list[EldercareAllowance], district_names: dict[str, str], on: date) -> list[dict[str, Any]]:
    """One entry per allowance (by kind), and one for 高龄津贴 when an allowance carries that name."""
    youngest: dict[str, dict[str, int]] = {}  # kind -> district -> youngest band's age
    names: dict[str, set[str]] = {}
    for band in bands:
        by_district = youngest.setdefault(band.kind, {})
        by_district[band.district_code] = min(band.age_min, by_district.get(band.district_code, band.age_min))
        names.setdefault(band.kind, set()).update(band.benefit_names)
    out = []
    for kind, by_district in sorted(youngest.items()):
        ages = sorted(set(by_district.values()))
        branches = [
            [{"hukou_district": {"in": sorted(c for c, a in by_district.items() if a == age)}}, {"age": {"gte": age}}]
            for age in ages
        ]
        entries = [(kind, f"本市户籍、年满{ages[0]}周岁的老人", branches)]
        if FORMER_HIGH_AGE_NAME in names[kind] and kind != FORMER_HIGH_AGE_NAME:
            entries.append(
                (
                    FORMER_HIGH_AGE_NAME,
                    f"本市户籍、年满{HIGH_AGE}周岁的老人（高龄津贴已并入{kind}，按高龄档发放）",
                    [[{"hukou_district": {"in": sorted(by_district)}}, {"age": {"gte": HIGH_AGE}}]],
                )
            )
        for benefit, summary, bs in entries:
            out.append(
                {
                    "benefit": benefit,
                    "summary": summary,
                    "districts": [district_names.get(c, c) for c in sorted(by_district)],
                    "rule": {"all": bs[0]} if len(bs) == 1 else {"any": [{"all": b} for b in bs]},
                    "source": "backoffice/seed/eldercare_allowances.yaml",
                    "as_of": on.isoformat(),
                }
            )
    return out
