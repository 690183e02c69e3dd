"""Who may be eligible for each assistance programme, as an audience rule the campaign builder starts from.

The rule is written in the platform's audience-rule language (docs/campaigns.md, *The rule language*):
a list of conditions that must all hold, over the registry's fields. The figures come from the standard
in force (``backoffice/seed/assistance_standards.yaml``), so a new standard changes the starting rule
without a code change. Income is compared with a multiple of *the resident's own district* standard
(``lte_standard``), so one rule serves every district; when the districts' multiples differ, the rule
is one branch per group of districts.

What the registry cannot show (vehicles, homes, the ability to work, who must support whom) is left to
the home visit, as it is for the pre-check (``rules.py``): a starting rule finds who *may* be eligible.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from backoffice.assistance.standards import Standard

URGENT_DAYS = 90  # 临时救助: an emergency of the last three months
YEAR_DAYS = 365  # 医疗救助 / 支出型贫困: costs of the last twelve months


def _income(multiple: float) -> dict[str, Any]:
    return {"per_capita_income": {"lte_standard": multiple, "standard": "低保"}}


def _savings(std: Standard) -> dict[str, Any]:
    """Savings per person under the limit, which depends on the household's size (1–2 people or more)."""
    small, other = std.savings_limit(1), std.savings_limit(3)
    if small == other:
        return {"per_capita_savings": {"lte": small}}
    return {
        "any": [
            {"all": [{"household_size": {"lte": 2}}, {"per_capita_savings": {"lte": small}}]},
            {"all": [{"household_size": {"gte": 3}}, {"per_capita_savings": {"lte": other}}]},
        ]
    }


def _events(kinds: tuple[str, ...], days: int) -> dict[str, Any]:
    found = [{"event": {"kind": k, "within_days": days}} for k in kinds]
    return found[0] if len(found) == 1 else {"any": found}


def conditions(std: Standard) -> dict[str, tuple[str, list[dict[str, Any]]]]:
    """Programme → (what the starting rule says, in Chinese; its conditions) under one district's standard."""
    f = std.figures
    low = float(f["low_income_multiplier"])
    tekun = f["tekun"]
    spending = float(f["spending_poverty"]["income_multiplier"])
    return {
        "低保": (
            "家庭人均月收入不高于低保标准，人均存款不超过上限",
            [_income(1), _savings(std)],
        ),
        "特困供养": (
            f"{tekun['ages']['elderly_from']}岁以上老人、{tekun['ages']['minor_below']}岁以下未成年人或重度残疾人，"
            "独自生活，人均月收入不高于低保标准",
            [
                {
                    "any": [
                        {"age": {"gte": tekun["ages"]["elderly_from"]}},
                        {"age": {"lt": tekun["ages"]["minor_below"]}},
                        {"disability_grade": {"in": list(tekun["disability_grades"])}},
                    ]
                },
                {"living_alone": True},
                _income(1),
            ],
        ),
        "临时救助": (
            f"近{URGENT_DAYS}天遇到灾害、意外、大病或住院，人均月收入不高于低收入标准（低保标准的{low:g}倍）",
            [_events(("disaster", "serious_illness_expense", "hospitalisation"), URGENT_DAYS), _income(low)],
        ),
        "医疗救助": (
            f"近一年住院或有大病医疗支出，人均月收入不高于低收入标准（低保标准的{low:g}倍）",
            [_events(("hospitalisation", "serious_illness_expense"), YEAR_DAYS), _income(low)],
        ),
        "支出型贫困": (
            f"近一年有大病医疗支出，人均月收入不高于低保标准的{spending:g}倍",
            [_events(("serious_illness_expense",), YEAR_DAYS), _income(spending)],
        ),
    }


def eligibility(stds: list[Standard], district_names: dict[str, str], on: date) -> list[dict[str, Any]]:
    """Each programme's starting rule over every district with a standard in force ``on`` that day."""
    by_programme: dict[str, dict[str, Any]] = {}
    for std in stds:
        for programme, (summary, conds) in conditions(std).items():
            entry = by_programme.setdefault(programme, {"summary": summary, "groups": []})
            for group in entry["groups"]:
                if group["conditions"] == conds:
                    group["districts"].append(std.district_code)
                    break
            else:
                entry["groups"].append({"conditions": conds, "districts": [std.district_code]})
    out = []
    for programme, entry in by_programme.items():
        branches = [[{"hukou_district": {"in": sorted(g["districts"])}}, *g["conditions"]] for g in entry["groups"]]
        rule = {"all": branches[0]} if len(branches) == 1 else {"any": [{"all": b} for b in branches]}
        out.append(
            {
                "benefit": programme,
                "summary": entry["summary"],
                "districts": [district_names.get(c, c) for g in entry["groups"] for c in g["districts"]],
                "rule": rule,
                "source": "backoffice/seed/assistance_standards.yaml",
                "as_of": on.isoformat(),
            }
        )
    return out
