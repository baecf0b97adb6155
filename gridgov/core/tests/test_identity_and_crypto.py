import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gridgov.core.crypto import DecryptionError, blind_index, seal, unseal
from gridgov.core.identity import (
    IdentityError,
    mask_phone,
    mask_resident_id,
    normalize_phone,
    parse_resident_id,
    ric_check_digit,
    validate_uscc,
)


def make_id(prefix17: str) -> str:
    return prefix17 + ric_check_digit(prefix17)


def test_a_taikang_id_of_someone_born_in_1985_is_accepted():
    from stdnum.cn import ric

    number = make_id("41162719850312123")
    assert not ric.is_valid(number)  # the library's false rejection this module exists to avoid
    parsed = parse_resident_id(number)
    assert parsed.birth_date == dt.date(1985, 3, 12)
    assert parsed.gender == "M"
    assert parsed.warnings  # the place-code mismatch is reported, not fatal


def test_gender_and_x_check_digit():
    # 11010519491231002X is the standard's published example
    parsed = parse_resident_id("11010519491231002x")
    assert parsed.number == "11010519491231002X"
    assert parsed.gender == "F"
    assert parsed.birth_date == dt.date(1949, 12, 31)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "为空"),
        ("4116271985031212", "18 位"),
        ("41162719850312123A", "数字和末位 X"),
        ("411627198503121230", "校验位"),
        (make_id("41162719850231123"), "出生日期无效"),
        (make_id("41162721990101123"), "不合理"),
    ],
)
def test_bad_ids_name_the_reason(raw, reason):
    with pytest.raises(IdentityError, match=reason):
        parse_resident_id(raw, today=dt.date(2026, 11, 29))


def test_credit_codes_including_ones_starting_with_a_letter():
    from stdnum.cn import uscc

    company = "91411627MA3X4B5C6D"[:17]
    company += uscc.calc_check_digit(company + "0")
    assert uscc.is_valid(company) and validate_uscc(company) == company
    village = "N2411627MA" + "1234567"
    village += uscc.calc_check_digit(village + "0")
    assert not uscc.is_valid(village)  # the library rejects collectives' N2… codes
    assert validate_uscc(village.lower()) == village
    with pytest.raises(IdentityError, match="校验位"):
        validate_uscc(village[:-1] + ("1" if village[-1] != "1" else "2"))
    with pytest.raises(IdentityError, match="无效字符"):
        validate_uscc("91411627MA3X4B5C6I")
    with pytest.raises(IdentityError, match="18 位"):
        validate_uscc("914116")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13812345678", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("13812345678.0", "13812345678"),
        ("0394-5123456", "03945123456"),
    ],
)
def test_phones_normalise(raw, expected):
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize("raw", ["", "12345", "1381234567", "电话"])
def test_bad_phones(raw):
    with pytest.raises(IdentityError):
        normalize_phone(raw)


def test_masks():
    assert mask_resident_id("41162719850312123X") == "4116**********123X"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("") == ""


@given(st.text(min_size=1, max_size=60))
def test_seal_round_trips(value):
    sealed = seal(value)
    assert sealed.startswith("v1:") and sealed != value
    assert unseal(sealed) == value


def test_sealed_ids_do_not_contain_the_number():
    assert "411627198503121231" not in seal("411627198503121231")


def test_seal_is_randomised_and_index_is_stable_per_purpose():
    assert seal("13812345678") != seal("13812345678")
    assert blind_index("phone", "13812345678") == blind_index("phone", "13812345678")
    assert blind_index("phone", "13812345678") != blind_index("ric", "13812345678")
    assert len(blind_index("ric", "x")) == 32
    assert seal("") == "" and blind_index("ric", "") == ""


def test_a_different_key_cannot_read(settings):
    sealed = seal("411627198503121231")
    settings.GRIDGOV_FIELD_KEY = "another-key"
    with pytest.raises(DecryptionError):
        unseal(sealed)
