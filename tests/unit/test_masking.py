from common.masking import id_check_char, is_valid_id_number, mask_id_number, mask_name, mask_phone, mask_text

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
