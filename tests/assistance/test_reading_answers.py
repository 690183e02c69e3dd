"""How the assistance forms read residents' words, and which stories are not forms."""

from __future__ import annotations

import pytest

from actions.assistance import parsing


@pytest.mark.parametrize(
    "said, value",
    [
        ("三口人", 3),
        ("家里4口", 4),
        ("一千五", 1500),
        ("两千三百", 2300),
        ("两万三", 23000),
        ("1.5万", 15000),
        ("大概两千多块吧", 2000),
        ("3000元", 3000),
        ("一个月一共三千块", 3000),
        ("五万块", 50000),
        ("一五零零", 1500),
        ("没有", 0),
        ("没有存款", 0),
    ],
)
def test_amounts_and_counts_in_words_or_digits(said, value):
    assert parsing.amount(said) == value


def test_an_nlu_entity_wins_over_the_text():
    assert parsing.amount("好几千", [4200]) == 4200
    assert parsing.amount("一个月一共三千", [1]) == 3000  # an entity for 一个月 does not win
    assert parsing.amount("不知道") is None
    assert parsing.count("两百") is None  # not a household size
    assert parsing.count("我们家三口人") == 3 and parsing.count("一家4口人，一个老人") == 4
    assert parsing.vehicles("有一辆车") == 1 and parsing.vehicles("没车") == 0


@pytest.mark.parametrize(
    "said, who, relation",
    [
        ("我自己", "本人", "本人"),
        ("给我本人申请", "本人", "本人"),
        ("帮我妈申请", "家人", "母亲"),
        ("替我老伴", "家人", "配偶"),
        ("家里人", "家人", None),
        ("帮阿拉老太婆", "家人", "配偶"),  # Shanghainese: my wife
        ("给我自已办", "本人", "本人"),  # 自已: a typo of 自己
        ("嗯嗯", None, None),
    ],
)
def test_who_the_application_is_for(said, who, relation):
    assert parsing.applicant(said) == (who, relation)


def test_circumstances_none_and_unclear():
    assert parsing.circumstances("老伴住院了，我还有残疾证") == ["serious_illness", "disability"]
    assert parsing.circumstances("都没有") == []
    assert parsing.circumstances("嗯") is None


def test_the_type_a_story_points_to():
    assert parsing.assistance_type("老伴得了癌症化疗，钱都花光了") == "支出型贫困"
    assert parsing.assistance_type("家里着火了") == "临时救助"
    assert parsing.assistance_type("我想申请低保") == "低保"
    assert parsing.assistance_type("你好") is None
    assert parsing.assistance_type("我想申清低报") == "低保"  # a homophone typo of the name is the name


def test_a_story_is_kept_as_the_hardship_but_a_bare_request_is_not():
    assert parsing.story("我妈生病住院花了好多钱", "医疗救助") == "我妈生病住院花了好多钱"
    assert parsing.story("我想申请低保", "低保") is None
    assert parsing.story("我想申清低报", "低保") is None  # the name misspelt is still no story
    assert parsing.story("我想申请低保，老伴走了以后家里一点收入都没有", "低保")
    assert parsing.story('/assistance_apply{"assistance_type": "低保"}', "低保") is None


def test_yes_and_no_including_the_negations_that_contain_yes():
    assert parsing.yes_no("同意", None) is True and parsing.yes_no("不同意", None) is False
    assert parsing.yes_no("不对", None) is False and parsing.yes_no("随便", "affirm") is True
    assert parsing.yes_no("嗯……", None) is True and parsing.yes_no("什么意思", None) is None
    # a question back is not consent, whatever the NLU says; a yes word inside a sentence is not a yes
    assert parsing.yes_no("这是什么意思", None) is None and parsing.yes_no("这是什么意思", "affirm") is None
    assert parsing.yes_no("要查我的存款吗？", None) is None and parsing.yes_no("我有点担心", None) is None
    assert parsing.yes_no("是的 同意", None) is True and parsing.yes_no("行啊", None) is True
    assert parsing.yes_no("同义", None) is True  # a homophone typo of 同意
    assert parsing.yes_no("對", "nlu_fallback") is True and parsing.yes_no("不對", None) is False  # traditional


def test_the_household_size_said_outright_before_it_is_asked():
    assert parsing.household_size_in("我想问下我家能不能吃低保我们是宝山区的两口人") == 2
    assert parsing.household_size_in("家里3口") == 3
    assert parsing.household_size_in("我一个人带两个孩子") is None  # a story, not the household's size
    assert parsing.household_size_in("低保标准多少") is None


def test_the_figures_a_message_gives_before_they_are_asked():
    said = "我家在普陀区，三口人，每个月收入加起来两千块，存款没有，也没车，我能申请低保吗"
    assert parsing.figures_told(said) == {
        "assistance_household_size": 3,
        "assistance_monthly_income": 2000,
        "assistance_savings": 0,
        "assistance_vehicles": 0,
    }
    assert parsing.figures_told("我老公尿毒症在透析，每个月自己付三千") == {}  # an expense is no income
    assert parsing.figures_told("我们家就两个人我和我老伴") == {}  # not said outright


def test_an_answer_is_read_without_the_clauses_that_give_other_figures():
    assert parsing.amount(parsing.without_other_figures("一千五，存款一万", "assistance_monthly_income")) == 1500
    assert parsing.without_other_figures("收入我也说不清，大概两千多吧", "assistance_monthly_income") == (
        "收入我也说不清，大概两千多吧"
    )
