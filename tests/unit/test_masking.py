from datetime import date

import pytest

from common.masking import (
    find_personal_numbers,
    find_phone,
    id_check_char,
    is_valid_id_number,
    mask_credentials,
    mask_id_number,
    mask_name,
    mask_phone,
    mask_text,
    remove_personal_numbers,
)

VALID_ID = "11010519491231002X"  # the checksum example from GB 11643


def test_known_valid_id_number_passes_the_checksum():
    assert id_check_char(VALID_ID[:17]) == "X"
    assert is_valid_id_number(VALID_ID)
    assert is_valid_id_number(VALID_ID.lower())


def test_wrong_check_character_impossible_date_and_bad_shape_are_rejected():
    assert not is_valid_id_number("110105194912310021")
    feb30 = "11010519490230002"
    assert not is_valid_id_number(feb30 + id_check_char(feb30))
    assert not is_valid_id_number("1101051949123100")
    assert not is_valid_id_number("abcdefghijklmnopqr")


def test_masks_keep_only_what_identifies_nothing():
    assert mask_id_number(VALID_ID) == "110***********002X"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_name("张三丰") == "张**"


def test_mask_text_masks_ids_and_phones_inside_chinese_text():
    text = f"我叫张三，身份证{VALID_ID}，电话13812345678，门牌号1234"
    masked = mask_text(text)
    assert VALID_ID not in masked and "13812345678" not in masked
    assert "110***********002X" in masked and "138****5678" in masked
    assert "门牌号1234" in masked


PHONE = "13812345678"
FORMS = [
    ("电话13812345678", "电话138****5678"),
    ("手机 138 1234 5678 谢谢", "手机 138 **** 5678 谢谢"),
    ("+86 138-1234-5678", "+86 138-****-5678"),
    ("0086 13812345678", "0086 138****5678"),
    ("+8613812345678", "+86138****5678"),
    ("138.1234.5678", "138.****.5678"),
    ("１３８１２３４５６７８", "１３８****５６７８"),  # full-width
    ("１３８－１２３４－５６７８", "１３８－****－５６７８"),
    ("号码是幺三八一二三四五六七八", "号码是幺三八****五六七八"),  # voice text
    ("一三八 一二三四 五六七八", "一三八 **** 五六七八"),
    ("幺三八1234五六七八", "幺三八****五六七八"),  # mixed
    ("第一13812345678", "第一138****5678"),  # 一 is a word here, the phone follows it
    ("电话：１３８　１２３４　５６７８。", "电话：１３８　****　５６７８。"),  # ideographic spaces
]


@pytest.mark.parametrize("text, masked", FORMS)
def test_mask_text_masks_a_phone_in_every_form_the_bot_accepts(text, masked):
    assert mask_text(text) == masked
    assert [(n.kind, n.value) for n in find_personal_numbers(text)] == [("phone", PHONE)]
    assert find_phone(text) == PHONE


@pytest.mark.parametrize(
    "text, masked",
    [
        (VALID_ID, "110***********002X"),
        ("身份证 110105 19491231 002x", "身份证 110*** ******** 002x"),
        ("110105-19491231-002X", "110***-********-002X"),
        ("１１０１０５１９４９１２３１００２Ｘ", "１１０***********００２Ｘ"),
        ("幺幺零幺零五幺九四九幺二三幺零零二X", "幺幺零***********零零二X"),
    ],
)
def test_mask_text_masks_an_id_number_in_every_form(text, masked):
    assert mask_text(text) == masked
    assert [n.value for n in find_personal_numbers(text)] == [VALID_ID]


def test_an_id_number_and_a_phone_side_by_side_are_both_masked():
    masked = mask_text(f"身份证 {VALID_ID} 13812345678")
    assert masked == "身份证 110***********002X 138****5678"


@pytest.mark.parametrize(
    "text",
    [
        "12812345678",  # not a mobile prefix
        "138123456789",  # 12 digits
        "1381234567",  # 10 digits
        "三口人，一千五百元，两个孩子",
        "ts 2026-12-03 13:45:12,345 took 0.25 s",
        "门牌号1234，邮编200000",
    ],
)
def test_other_numbers_are_left_alone(text):
    assert mask_text(text) == text
    assert find_personal_numbers(text) == []


def test_remove_personal_numbers_takes_out_the_whole_number_with_its_prefix():
    assert remove_personal_numbers("我的电话 +86 138 1234 5678 谢谢") == "我的电话  谢谢"
    assert remove_personal_numbers("身份证一一零一零五一九四九一二三一零零二X") == "身份证"


def test_credentials_in_urls_and_headers_are_masked():
    text = "GET http://rasa:5005/conversations/x/tracker?token=s3cret-tok&include_events=ALL Bearer abc.def"
    assert mask_credentials(text) == (
        "GET http://rasa:5005/conversations/x/tracker?token=***&include_events=ALL Bearer ***"
    )
    assert mask_credentials("redis://:pw@127.0.0.1:6379/0") == "redis://:***@127.0.0.1:6379/0"
    assert mask_credentials("redis://:**@127.0.0.1:6379/0") == "redis://:**@127.0.0.1:6379/0"  # Celery's own mask


def _id(first17: str) -> str:
    return first17 + id_check_char(first17)


def test_an_id_number_born_in_the_future_or_before_1900_is_refused():
    today = date(2026, 12, 3)
    assert is_valid_id_number(_id("11010520261203002"), today=today)  # born today
    assert not is_valid_id_number(_id("11010520261204002"), today=today)  # tomorrow
    assert not is_valid_id_number(_id("11010520991231002"))  # whatever today is
    assert not is_valid_id_number(_id("11010518991231002"))
    assert is_valid_id_number(_id("11010519000101002"))
