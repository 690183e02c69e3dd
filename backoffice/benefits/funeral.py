"""The funeral pre-check: the basic funeral fee waiver and the eco-burial subsidy for declared facts.

The resident declares the deceased's hukou district, the household's assistance status and the way of
burial; the answer says, with its reasons, what is waived or paid, how much and what to bring. The bureau
checks the facts against the death certificate and the registry when the application is reviewed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from backoffice.benefits import programmes

NOT_OF_CITY = "外地"
STATUSES = ("特困供养", "低保", "低收入", "无")
UNDECIDED = "未定"
GRAVE = "墓穴"
CAVEAT = "以上是按您说的情况做的初步估算，最后以死亡证明、户籍和困难家庭认定的核实结果为准。"


@dataclass(frozen=True)
class Facts:
    district: str  # the deceased's hukou district code, or NOT_OF_CITY
    status: str  # one of STATUSES
    burial: str  # one of the eco ways, GRAVE or UNDECIDED


def _reason(rule: str, figure: str, text: str) -> dict[str, str]:
    return {"rule": rule, "figure": figure, "text": text}


def waiver(facts: Facts, district_name: str) -> dict[str, Any]:
    rules = programmes.section("funeral_waiver")
    prices: dict[str, int] = rules["services"]
    group = rules["groups"].get(facts.status)
    rule = "基本殡葬服务费减免：本市户籍的特困供养人员、低保和低收入家庭成员"
    if facts.district == NOT_OF_CITY:
        reason = _reason(rule, "本市户籍", "去世的亲人不是上海户口，不在本市减免范围内，可以问问户籍所在地的民政部门。")
        return {"eligible": False, "amount": 0, "services": [], "reasons": [reason]}
    if group is None:
        text = (
            f"去世的亲人是{district_name}户籍，但家里不是低保、低收入或特困供养，基本殡葬服务按政府定的平价收费，"
            "不减免。"
        )
        return {
            "eligible": False,
            "amount": 0,
            "services": [],
            "reasons": [_reason(rule, "低保、低收入、特困供养", text)],
        }
    names = list(prices) if group["services"] == "all" else list(group["services"])
    amount = sum(prices[n] for n in names)
    text = f"{district_name}户籍、{facts.status}，可以减免：{'、'.join(f'{n}{prices[n]}元' for n in names)}，合计约{amount}元。"
    if group.get("note"):
        text += group["note"] + "。"
    return {"eligible": True, "amount": amount, "services": names, "reasons": [_reason(rule, facts.status, text)]}


def eco_burial(facts: Facts, district_name: str) -> dict[str, Any]:
    rules = programmes.section("eco_burial")
    rule = "生态安葬补贴：本市户籍逝者，骨灰海葬、树葬、花坛葬、草坪葬、深埋或壁葬"
    amounts: dict[str, int] = rules["districts"].get(facts.district, {})
    if facts.district == NOT_OF_CITY or not amounts:
        text = "去世的亲人不是上海户口，领不了本市的生态安葬补贴。"
        return {"eligible": False, "amount": 0, "reasons": [_reason(rule, "本市户籍", text)]}
    table = "、".join(f"{way}{yuan}元" for way, yuan in amounts.items())
    if facts.burial == UNDECIDED:
        text = f"{district_name}的补贴标准：{table}（每位逝者）。选好安葬方式、安葬以后再申请。"
        return {"eligible": None, "amount": 0, "reasons": [_reason(rule, f"{district_name}标准", text)]}
    if facts.burial not in amounts:
        text = "骨灰放公墓墓穴不算生态安葬，没有这项补贴。" + f"改选生态安葬的话，{district_name}的标准是：{table}。"
        return {"eligible": False, "amount": 0, "reasons": [_reason(rule, f"{district_name}标准", text)]}
    amount = amounts[facts.burial]
    text = f"{district_name}户籍，{facts.burial}，每位逝者补贴{amount}元，安葬以后申请，审核后打到家属的银行卡上。"
    return {
        "eligible": True,
        "amount": amount,
        "reasons": [_reason(rule, f"{district_name}{facts.burial}{amount}元", text)],
    }


def documents(programme: str, facts: Facts) -> list[str]:
    """The codes of the documents the application needs (``document_kinds.yaml``)."""
    rules = programmes.section(programme)
    codes = list(rules["required_documents"])
    if programme == "funeral_waiver" and facts.status in rules["groups"]:
        codes += [c for c in rules.get("status_documents", []) if c not in codes]
    return codes


def evaluate(facts: Facts, district_name: str) -> dict[str, Any]:
    return {
        "funeral_waiver": waiver(facts, district_name),
        "eco_burial": eco_burial(facts, district_name),
        "caveat": CAVEAT,
    }
