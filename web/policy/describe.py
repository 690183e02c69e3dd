"""A validated rule in plain Chinese, for the staff who read a campaign's page (not its JSON)."""

from __future__ import annotations

from web.policy import rules
from web.policy.rules import All, AnyOf, Benefit, Compare, Event, IncomeVsStandard, Node, Not

NUMBER_WORDS = {"eq": "正好是", "ne": "不是", "gt": "多于", "gte": "不少于", "lt": "少于", "lte": "不超过"}
AGE_WORDS = {"eq": "正好", "ne": "不是", "gt": "超过", "gte": "年满", "lt": "不满", "lte": "不超过"}
UNITS = {
    "disability_grade": "级",
    "household_size": "人",
    "household_savings": "元",
    "per_capita_savings": "元",
    "per_capita_income": "元",
}
INCOME_WORDS = {"lt": "低于", "lte": "不高于", "gt": "高于", "gte": "不低于"}
GRADES = {0: "无残疾", 1: "一级", 2: "二级", 3: "三级", 4: "四级"}


def lines(node: Node, names: dict[str, str] | None = None) -> list[str]:
    """The rule as lines of text; a group's members are indented under its heading."""
    names = names or {}
    if isinstance(node, (All, AnyOf)):
        head = "以下条件全部满足：" if isinstance(node, All) else "以下条件满足任意一条："
        return [head, *("　　" + line for child in node.children for line in lines(child, names))]
    if isinstance(node, Not):
        inner = lines(node.child, names)
        if isinstance(node.child, Compare) and node.child.op == "in" and len(inner) == 1:
            return [inner[0].replace("是", "不是", 1)]
        return ["不符合：", *("　　" + line for line in inner)]
    return [_condition(node, names)]


def _condition(node: Node, names: dict[str, str]) -> str:
    if isinstance(node, Benefit):
        return (
            ("正在享受" if node.held else "没有享受")
            + "、".join(node.names)
            + ("中的任意一项" if node.held and len(node.names) > 1 else "")
        )
    if isinstance(node, Event):
        kind = rules.vocabulary()["event_kinds"].get(node.kind, node.kind)
        amount = f"，金额不少于{node.min_amount}元" if node.min_amount else ""
        return f"近{node.within_days}天内{kind}{amount}"
    if isinstance(node, IncomeVsStandard):
        return f"家庭人均月收入{INCOME_WORDS[node.op]}户籍所在区{node.standard}标准的{node.percent / 100:g}倍"
    assert isinstance(node, Compare)
    label = {**{f: zh for f, (_lo, _hi, zh) in rules.NUMBER_FIELDS.items()}, **rules.TEXT_FIELDS}.get(
        node.field, node.field
    )
    if node.field == "living_alone":
        return "独自生活" if node.value else "不是独自生活"
    if node.op == "in":
        values = [names.get(str(v), str(v)) for v in node.value]
        if node.field == "disability_grade":
            values = [GRADES.get(int(v), str(v)) for v in node.value]
        return f"{label}是" + "、".join(values) + ("中的一个" if len(values) > 1 else "")
    if node.field == "age":
        return f"{AGE_WORDS[node.op]}{node.value}岁"
    return f"{label}{NUMBER_WORDS[node.op]}{node.value}{UNITS.get(node.field, '')}"
