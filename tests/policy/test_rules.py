"""Rule validation: every mistake is rejected with where it is and what to write, in Chinese and English."""

from __future__ import annotations

import pytest

from web.policy import rules


def errors_of(text: str) -> list[rules.RuleError]:
    with pytest.raises(rules.RuleInvalid) as info:
        rules.load(text)
    return info.value.errors


def test_a_good_rule_parses_into_the_typed_tree():
    node = rules.load("""
all:
  - age: {gte: 80}
  - hukou_district: 普陀区
  - per_capita_income: {lte_standard: 1.5}
  - benefit: {not_held: 高龄津贴}
  - not: {living_alone: true}
  - event: {kind: serious_illness_expense, within_days: 90, min_amount: 10000}
""")
    assert isinstance(node, rules.All)
    assert node.children[0] == rules.Compare("age", "gte", 80)
    assert node.children[1] == rules.Compare("hukou_district", "in", ("普陀区",))
    assert node.children[2] == rules.IncomeVsStandard("lte", 150, "低保")
    assert node.children[3] == rules.Benefit(False, ("高龄津贴",))
    assert node.children[4] == rules.Not(rules.Compare("living_alone", "eq", True))
    assert node.children[5] == rules.Event("serious_illness_expense", 90, 10000)


@pytest.mark.parametrize(
    "text, path, zh, en",
    [
        ('{"agee": {"gte": 80}}', "rule.agee", "不认识的字段", "unknown field"),
        ('{"age": {"gt=": 80}}', "rule.age.gt=", "不认识的比较方式", "unknown operator"),
        ('{"age": {"gte": "eighty"}}', "rule.age.gte", "整数", "integers"),
        ('{"age": {"between": [90, 80]}}', "rule.age.between", "[下限, 上限]", "[low, high]"),
        ('{"benefit": {"held": "低宝"}}', "rule.benefit.held", "不认识的待遇名称", "unknown benefit"),
        (
            '{"per_capita_income": {"lte_standard": 0.125}}',
            "rule.per_capita_income.lte_standard",
            "最多两位小数",
            "two decimals",
        ),
        (
            '{"per_capita_income": {"lte_standard": 1, "standard": "五保"}}',
            "rule.per_capita_income.standard",
            "不认识的标准",
            "unknown standard",
        ),
        (
            '{"event": {"kind": "flood", "within_days": 30}}',
            "rule.event.kind",
            "不认识的事件类型",
            "unknown event kind",
        ),
        ('{"event": {"kind": "disaster"}}', "rule.event.within_days", "within_days", "within_days"),
        ('{"all": []}', "rule.all", "非空的条件列表", "non-empty list"),
        ('{"all": [{"age": 80}, {"gender": "男的"}]}', "rule.all[1].gender.in", "性别", "gender"),
        ('{"living_alone": "yes"}', "rule.living_alone", "true 或 false", "true or false"),
        ('{"age": {"gte": 80}, "gender": "女"}', "rule", "只有一个键", "exactly one key"),
        ("[1, 2", "rule", "不是有效的 JSON/YAML", "not valid JSON/YAML"),
    ],
)
def test_bad_rules_are_rejected_with_a_clear_message(text, path, zh, en):
    errors = errors_of(text)
    assert any(e.path == path and zh in e.zh and en in e.en for e in errors), [str(e) for e in errors]


def test_every_mistake_is_reported_at_once():
    errors = errors_of('{"any": [{"age": {"gte": -1}}, {"benefit": {"held": "x"}}, {"colour": "red"}]}')
    assert [e.path for e in errors] == ["rule.any[0].age.gte", "rule.any[1].benefit.held", "rule.any[2].colour"]


def test_depth_and_size_are_bounded():
    deep: dict = {"age": 1}
    for _ in range(rules.MAX_DEPTH + 1):
        deep = {"not": deep}
    assert any("嵌套太深" in e.zh for e in errors_of(rules.dumps(deep)))
    wide = {"any": [{"age": i % 100} for i in range(rules.MAX_CONDITIONS + 1)]}
    assert any("条件太多" in e.zh for e in errors_of(rules.dumps(wide)))
