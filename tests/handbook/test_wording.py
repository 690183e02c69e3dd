"""Reading a question in the handbook's words: traditional characters, same-sound misspellings, key sentences."""

from __future__ import annotations

from backoffice.handbook.wording import SoundAlike, key_sentences
from common.simplified import simplified

WORDS = SoundAlike(["时间银行", "银行", "惠民殡葬", "殡葬", "报销", "康复辅具", "只有", "受理中心"])


def test_traditional_characters_are_read_as_simplified():
    assert simplified("請問收養登記需要什麼材料") == "请问收养登记需要什么材料"


def test_a_same_sound_misspelling_of_a_handbook_word_is_that_word():
    assert WORDS.correct("时间银航是什么") == "时间银行是什么"
    assert WORDS.correct("惠民宾葬怎么报消") == "惠民殡葬怎么报销"
    assert WORDS.correct("康复辅俱怎么租") == "康复辅具怎么租"


def test_words_spelt_right_are_left_alone():
    # 子有 sounds like the handbook's 只有 but cuts the word 儿子: not a misspelling
    assert WORDS.correct("我儿子有残疾证") == "我儿子有残疾证"
    assert WORDS.correct("受理中心在哪") == "受理中心在哪"
    # same sound, but no character in common: a different word, not a misspelling
    assert WORDS.correct("音航") == "音航"


def test_the_clauses_that_ask_are_the_key_sentences():
    story = "我老伴中风了以后走不了路，听说可以租轮椅和护理床，是在哪里租的"
    sentences = key_sentences(story)
    assert sentences[0] == "是在哪里租的"
    assert "听说可以租轮椅和护理床 是在哪里租的" in sentences
    assert key_sentences("时间银行是什么") == []


def test_voice_fillers_break_clauses():
    assert "火化丧葬的费用政府是不是可以报一部分" in key_sentences(
        "我家老头子上个礼拜走了那个火化丧葬的费用政府是不是可以报一部分"
    )
