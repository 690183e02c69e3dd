"""How the marriage forms read a resident's words (actions/marriage/common.py), found by issue 22's conversation
suite: a typed button title is a yes, and a yes is nobody's name."""

from __future__ import annotations

import time

import pytest

from actions.marriage.common import YES, affirms_self, id_number_in, name_in, partner_named


@pytest.mark.parametrize(
    "said",
    [
        *("确认", "确认预约", "确认无误", "好的", "对的", "没问题", "确认了", "队", "确任", "确认确认", "好的好的"),
        *("对额", "好额", "對", "確認"),  # Shanghainese, traditional
    ],
)
def test_a_yes_typed_as_the_button_reads_it(said):
    assert YES.match(said)


@pytest.mark.parametrize(
    "said", ["好的", "确认", "对的", "可以", "不对", "对是我", "是我本人", "我想约周三", "是的是的", "对额"]
)
def test_a_yes_or_no_is_nobodys_name(said):
    assert name_in(said) is None


@pytest.mark.parametrize("said", ["对是我", "是我本人", "对的对的是我", "对，是我本人", "是的，是我本人", "是我呀"])
def test_a_yes_that_says_it_is_the_resident(said):
    assert affirms_self(said)


@pytest.mark.parametrize("said", ["不是我", "张伟", "好的", "我想约周三"])
def test_not_a_yes_that_says_it_is_the_resident(said):
    assert not affirms_self(said)


def test_a_name_and_an_id_number_in_one_message_are_both_there():
    said = "白根生 310107199001011234"
    number = id_number_in(said)
    assert number == "310107199001011234"
    assert name_in(said.replace(" ", "").replace(number, "")) == "白根生"
    assert name_in("女方是李娜") == "李娜"


@pytest.mark.parametrize(
    "said, name",
    [
        ("我和我女朋友于玉兰想约个时间领证，她身份证号是310107199001011234", "于玉兰"),
        ("我对象叫王芳", "王芳"),
        ("我和未婚夫张伟一起去登记", "张伟"),
        ("我和男朋友一起来", None),
        ("我想和对象去登记", None),
    ],
)
def test_the_other_party_named_before_they_are_asked(said, name):
    assert partner_named(said) == name


def test_a_long_yes_like_message_is_read_at_once():
    """The yes pattern reads each character one way only: 400 characters of 对的 and a last word that is not a yes
    are refused at once, not after trying every split."""
    started = time.monotonic()
    assert not YES.match("对的" * 200 + "不")
    assert time.monotonic() - started < 0.5
