"""The eligibility pre-check: a household's declared figures against the district's standard.

The answer is an estimate for the resident (``likely_eligible``, ``likely_not`` or
``needs_assessment``) with every reason carrying the rule and the figure it used; the
bureau decides after the home visit and the economic-status check (经济状况核对).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from backoffice.assistance.standards import Standard
from common.dates import full_date

CIRCUMSTANCES = ("serious_illness", "disability", "living_alone", "elderly", "minor")
LIKELY_ELIGIBLE, LIKELY_NOT, NEEDS_ASSESSMENT = "likely_eligible", "likely_not", "needs_assessment"


@dataclass(frozen=True)
class Household:
    size: int
    monthly_income: int
    savings: int
    vehicles: int
    circumstances: frozenset[str] = frozenset()
    medical_expenses_month: int = 0  # self-paid medical costs per month, when the resident told us


@dataclass(frozen=True)
class Reason:
    rule: str
    figure: str
    text: str


@dataclass
class Verdict:
    outcome: str
    programs: list[str] = field(default_factory=list)
    reasons: list[Reason] = field(default_factory=list)

    def as_json(self, standard: Standard) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "programs": self.programs,
            "reasons": [r.__dict__ for r in self.reasons],
            "standard": standard.as_json(),
            "caveat": "以上只是根据您说的情况做的初步估算，能不能批准，要由民政部门上门调查、核对家庭经济状况后决定。",
        }


def _yuan(amount: float) -> str:
    return f"{round(amount):,}元".replace(",", "")


def evaluate(std: Standard, hh: Household) -> Verdict:
    if hh.size < 1:
        raise ValueError("household size must be at least 1")
    since = f"{full_date(std.effective_from)}起执行"
    dibao, low_line = std.dibao, std.low_income_line
    per_capita = hh.monthly_income / hh.size
    savings_per_capita = hh.savings / hh.size
    savings_max = std.savings_limit(hh.size)
    special = set(hh.circumstances) & set(CIRCUMSTANCES)
    reasons: list[Reason] = []

    if per_capita <= dibao:
        reasons.append(
            Reason(
                "低保：家庭人均月收入不高于当地低保标准",
                f"低保标准每人每月{dibao}元（{since}）",
                f"家里{hh.size}口人，每月收入合计{_yuan(hh.monthly_income)}，人均约{_yuan(per_capita)}，"
                f"不高于每人每月{dibao}元的低保标准。",
            )
        )
    elif per_capita <= low_line:
        reasons.append(
            Reason(
                f"低收入困难家庭：人均月收入不高于低保标准的{std.figures['low_income_multiplier']}倍",
                f"低收入标准每人每月{low_line}元",
                f"人均月收入约{_yuan(per_capita)}，高于{dibao}元的低保标准，"
                f"但不高于{low_line}元的低收入标准，可能认定为低收入困难家庭，享受医疗救助等专项救助。",
            )
        )
    else:
        reasons.append(
            Reason(
                "低保和低收入认定都看家庭人均月收入",
                f"低收入标准每人每月{low_line}元",
                f"人均月收入约{_yuan(per_capita)}，高于{low_line}元的低收入标准。",
            )
        )

    savings_ok = savings_per_capita <= savings_max
    vehicles_ok = hh.vehicles <= std.figures["vehicles_max"]
    if not savings_ok:
        reasons.append(
            Reason(
                "财产：家庭人均存款等货币财产不超过上限",
                f"{hh.size}口人的家庭每人{savings_max}元",
                f"存款人均约{_yuan(savings_per_capita)}，超过了每人{savings_max}元的上限。",
            )
        )
    if not vehicles_ok:
        reasons.append(
            Reason(
                "财产：家庭成员名下一般不能有机动车（残疾人功能性代步车除外）",
                f"机动车{std.figures['vehicles_max']}辆",
                f"家里有{hh.vehicles}辆车。"
                + ("如果是残疾人代步车，可以不算，需要上门核实。" if "disability" in special else ""),
            )
        )

    verdict = Verdict(LIKELY_NOT, reasons=reasons)
    if per_capita <= dibao and savings_ok and vehicles_ok:
        verdict.outcome, verdict.programs = LIKELY_ELIGIBLE, ["低保"]
    elif per_capita <= dibao and special:
        verdict.outcome = NEEDS_ASSESSMENT
    elif dibao < per_capita <= low_line and savings_ok:
        verdict.outcome, verdict.programs = NEEDS_ASSESSMENT, ["医疗救助", "临时救助"]

    tekun = std.figures["tekun"]
    if special & {"elderly", "disability", "minor"} and "living_alone" in special and per_capita <= dibao:
        verdict.programs.append("特困供养")
        reasons.append(
            Reason(
                f"特困供养：{tekun['conditions']}",
                f"{tekun['ages']['elderly_from']}岁以上老人、重度残疾人或{tekun['ages']['minor_below']}岁以下未成年人",
                "家里有老人、残疾人或孩子独自生活，还可能符合特困供养，需要社区救助顾问上门评估。",
            )
        )
        if verdict.outcome == LIKELY_NOT:
            verdict.outcome = NEEDS_ASSESSMENT

    if "serious_illness" in special:
        spending = std.figures["spending_poverty"]
        net = (hh.monthly_income - hh.medical_expenses_month) / hh.size
        ceiling = dibao * spending["income_multiplier"]
        text = "家里有人生大病，看病自己花的钱可以按支出型贫困的办法扣除后再算收入。"
        if per_capita > ceiling:
            text += f"不过人均收入高于低保标准的{spending['income_multiplier']}倍（{ceiling}元），一般不在支出型贫困范围内。"
        elif hh.medical_expenses_month:
            text = (
                f"每月自己付的医药费约{_yuan(hh.medical_expenses_month)}，扣除后人均约{_yuan(net)}，"
                + ("不高于" if net <= dibao else "仍高于")
                + f"{dibao}元的低保标准。"
            )
        reasons.append(Reason(f"支出型贫困：{spending['rule']}", f"低保标准每人每月{dibao}元", text))
        if (
            verdict.outcome != LIKELY_ELIGIBLE
            and per_capita <= ceiling
            and savings_ok
            and (not hh.medical_expenses_month or net <= dibao)
        ):
            verdict.outcome = NEEDS_ASSESSMENT
            verdict.programs += [p for p in ("支出型贫困", "医疗救助") if p not in verdict.programs]
        elif verdict.outcome == LIKELY_ELIGIBLE:
            verdict.programs.append("医疗救助")
    return verdict
