"""ID numbers are checksum-validated; phones are 11-digit mobiles."""

import pytest
from components.id_phone import extract, id_checksum_ok

VALID = ["310107194503122044", "310113193807214522", "31010719880214003X"]


@pytest.mark.parametrize("number", VALID)
def test_valid_ids_pass_the_checksum(number):
    assert id_checksum_ok(number)


def test_invalid_checksum_is_not_extracted():
    assert extract("身份证310107194503122040") == []
    assert extract("身份证31010719880214003") == []  # 17 characters


def test_id_with_lowercase_x_is_normalised():
    assert extract("我的身份证是31010719880214003x")[0]["value"] == "31010719880214003X"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("电话13812345678", "13812345678"),
        ("手机 138 1234 5678 谢谢", "13812345678"),
        ("+86 13912345678", "13912345678"),
        ("号码是幺三八一二三四五六七八", "13812345678"),  # voice text with spoken digits
    ],
)
def test_phones(text, expected):
    assert [e["value"] for e in extract(text) if e["entity"] == "phone"] == [expected]


@pytest.mark.parametrize("text", ["12812345678", "021-62540118", "1381234567", "138123456789"])
def test_not_phones(text):
    assert [e for e in extract(text) if e["entity"] == "phone"] == []


def test_id_and_phone_together_with_offsets():
    text = "身份证310107194503122044 电话13812345678"
    ents = extract(text)
    assert [(e["entity"], text[e["start"] : e["end"]]) for e in ents] == [
        ("id_number", "310107194503122044"),
        ("phone", "13812345678"),
    ]
