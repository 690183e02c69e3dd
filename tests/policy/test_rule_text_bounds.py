"""A campaign rule's text is bounded before it is read: no YAML anchors or aliases ("billion
laughs"), no text longer than rules.MAX_TEXT, no number or nesting YAML's reader chokes on.
Each is refused at once with a message in Chinese and English (security review, item 12)."""

from __future__ import annotations

import pytest

from web.policy import rules

# Under 1 KB, shaped like a rule: each level is nine aliases of the one before, so whatever follows
# them walks 9**8 (43 million) conditions (yaml.safe_load itself shares the nodes and is quick).
_LEVELS = "abcdefgh"
BILLION_LAUGHS = "all:\n  - &a {any: [" + ", ".join(["{age: {gte: 80}}"] * 9) + "]}\n"
BILLION_LAUGHS += "".join(
    f"  - &{name} {{any: [{', '.join(['*' + below] * 9)}]}}\n" for below, name in zip(_LEVELS, _LEVELS[1:])
)


def refusal(text: str) -> list[rules.RuleError]:
    # Refused before anything is expanded: the messages below come from the checks on the text,
    # and a rule that got as far as being walked would take minutes (the timeout fails it).
    with pytest.raises(rules.RuleInvalid) as info:
        rules.load(text)
    return info.value.errors


@pytest.mark.timeout(60)
def test_a_billion_laughs_rule_is_refused_at_once_with_a_clear_message():
    assert len(BILLION_LAUGHS) < 1024
    [error] = refusal(BILLION_LAUGHS)
    assert "锚点和别名" in error.zh and "anchors and aliases" in error.en


def test_an_anchor_alone_is_refused_too():
    [error] = refusal('all: [&x {"age": {"gte": 80}}]')
    assert "锚点和别名" in error.zh


def test_a_rule_longer_than_the_limit_is_refused_before_it_is_read():
    [error] = refusal('{"all": [' + ", ".join(['{"age": {"gte": 80}}'] * 2000) + "]}")
    assert f"最多 {rules.MAX_TEXT} 个字" in error.zh


@pytest.mark.parametrize("text", ["age: {gte: " + "9" * 5000 + "}", "[" * 3000 + "]" * 3000])
def test_numbers_and_nesting_yaml_cannot_read_are_refused_not_a_crash(text):
    assert refusal(text)


def test_a_real_rule_still_reads():
    assert rules.load('{"all": [{"age": {"gte": 80}}, {"hukou_district": "普陀区"}]}')
