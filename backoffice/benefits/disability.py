"""The 两项补贴 pre-check: a household member's disability record and the household's assistance status.

Both come from the registry (``Resident.disability_grade`` / ``disability_category``, the members'
``benefits``), so a verified resident is asked nothing. Each subsidy's answer carries its reasons, each
with the rule and the figure it used; the bureau decides after checking the certificate.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from backoffice.benefits import programmes

# The registry's benefit names that make a household's assistance status, strongest first.
STATUSES = ("特困供养", "低保", "低收入")
NONE = "无"
CAVEAT = "以上是按户籍登记里的残疾证和家庭救助情况做的初步判断，最后以街镇审核、区里审批的结果为准。"
GRADE_NAMES = {1: "一级", 2: "二级", 3: "三级", 4: "四级"}


@dataclass(frozen=True)
class Member:
    grade: int  # 0: no disability certificate in the registry, else 1..4
    category: str  # 视力, 听力, 言语, 肢体, 智力, 精神, 多重 ("" unknown)
    household_status: str  # one of STATUSES or NONE
    receiving: bool  # the registry shows the two subsidies paid already


def household_status(benefits: set[str]) -> str:
    return next((s for s in STATUSES if s in benefits), NONE)


def _reason(rule: str, figure: str, text: str) -> dict[str, str]:
    return {"rule": rule, "figure": figure, "text": text}


def _grade(m: Member) -> str:
    return f"{m.category}{GRADE_NAMES[m.grade]}" if m.category else GRADE_NAMES[m.grade]


def living(m: Member) -> dict[str, Any]:
    rules = programmes.section("disability_living")
    rule = "困难残疾人生活补贴：持证残疾人，家庭是低保或低收入困难家庭"
    monthly: dict[str, dict[int, int]] = rules["monthly"]
    if m.household_status in rules.get("excluded", []):
        text = f"家里是{m.household_status}，基本生活已经由{m.household_status}保障，不再发困难残疾人生活补贴。"
        return {"eligible": False, "monthly": 0, "reasons": [_reason(rule, m.household_status, text)]}
    if m.household_status not in monthly:
        text = "户籍登记里家里不是低保或低收入家庭，所以领不了生活补贴；家里困难的话，可以先申请低保或低收入认定。"
        return {"eligible": False, "monthly": 0, "reasons": [_reason(rule, "低保、低收入家庭", text)]}
    amount = int(monthly[m.household_status][m.grade])
    text = f"持{_grade(m)}残疾证，家里是{m.household_status}家庭，每月{amount}元。"
    return {
        "eligible": True,
        "monthly": amount,
        "reasons": [_reason(rule, f"{m.household_status}家庭{_grade(m)}每月{amount}元", text)],
    }


def care(m: Member) -> dict[str, Any]:
    rules = programmes.section("disability_care")
    lower = list(rules["lower_grades_categories"])
    rule = f"重度残疾人护理补贴：残疾等级一级、二级，或三级、四级的{'、'.join(lower)}残疾"
    heavy = m.grade in (1, 2) or m.category in lower
    if not heavy:
        text = f"持{_grade(m)}残疾证，不属于重度残疾，领不了护理补贴。"
        return {"eligible": False, "monthly": 0, "reasons": [_reason(rule, _grade(m), text)]}
    amount = int(rules["monthly"][m.grade])
    text = f"持{_grade(m)}残疾证，属于重度残疾，每月{amount}元。{rules['not_with']}。"
    return {"eligible": True, "monthly": amount, "reasons": [_reason(rule, f"{_grade(m)}每月{amount}元", text)]}


def evaluate(m: Member) -> dict[str, Any]:
    """Both subsidies for one member: ``{disability_living: {...}, disability_care: {...}}``."""
    if m.grade not in GRADE_NAMES:
        text = "户籍登记里没有残疾证的记录。两项补贴都要先办第二代残疾人证：到街道（镇）残联或社区事务受理服务中心申请评定。"
        none = {"eligible": False, "monthly": 0, "reasons": [_reason("两项补贴：持第二代残疾人证", "残疾人证", text)]}
        return {"disability_living": none, "disability_care": none}
    return {"disability_living": living(m), "disability_care": care(m)}


def documents(programme: str) -> list[str]:
    return list(programmes.section(programme)["required_documents"])
