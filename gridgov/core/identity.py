"""Validation of Chinese identity numbers, credit codes and phones (ARCHITECTURE §7).

python-stdnum's validators reject numbers that are real: ``cn.ric`` rejects IDs whose county code was valid when
the ID was issued but not in the birth year (Taikang's 411627 for people born before 2000), and ``cn.uscc``
rejects codes that start with a letter (village collectives' N2…). Here the checksum and the date decide; an
unknown place code is only a warning.
"""

import datetime as dt
import re
from dataclasses import dataclass, field
from functools import lru_cache

import phonenumbers
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from stdnum.cn import ric, uscc

RIC_WEIGHTS = [pow(2, 17 - i, 11) for i in range(17)]
_DIGIT_VALUE = {str(d): d for d in range(10)}
CN_MOBILE = re.compile(phonenumbers.PhoneMetadata.metadata_for_region("CN").mobile.national_number_pattern)
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


class IdentityError(ValueError):
    """A number that cannot be right; ``str(error)`` says why, in Chinese."""


@dataclass(frozen=True)
class ResidentId:
    number: str
    birth_date: dt.date
    gender: str  # "M" or "F"
    warnings: tuple[str, ...] = field(default=())


def normalize_ric(raw: str) -> str:
    return "".join(str(raw or "").split()).upper()


def ric_check_digit(first17: str) -> str:
    if len(first17) != 17:
        raise ValueError("ric_check_digit needs the first 17 characters")
    # map() over a dict lookup: an import checks hundreds of thousands of numbers
    total = sum(map(int.__mul__, map(_DIGIT_VALUE.__getitem__, first17), RIC_WEIGHTS))
    return "10X98765432"[total % 11]


def parse_resident_id(raw: str, *, today: dt.date | None = None) -> ResidentId:
    """Checks an 18-character resident ID number and derives birth date and gender from it."""
    number = normalize_ric(raw)
    if not number:
        raise IdentityError(_("身份证号为空"))
    if len(number) != 18:
        raise IdentityError(_("身份证号应为 18 位，实际 %(n)d 位") % {"n": len(number)})
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise IdentityError(_("身份证号只能由数字和末位 X 组成"))
    if ric_check_digit(number[:17]) != number[17]:
        raise IdentityError(_("身份证号校验位错误"))
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError as exc:
        raise IdentityError(_("身份证号中的出生日期无效")) from exc
    today = today or dt.date.today()
    if birth > today or birth.year < 1880:
        raise IdentityError(_("身份证号中的出生日期不合理"))
    warnings = () if _place_known(number[:6], birth.year) else (_place_warning(number[:6], get_language()),)
    gender = "M" if int(number[16]) % 2 else "F"
    return ResidentId(number=number, birth_date=birth, gender=gender, warnings=warnings)


@lru_cache(maxsize=4096)
def _place_warning(code: str, language: str | None) -> str:
    return _("地区码 %(code)s 与出生年份的区划表不符（常见于撤并前的旧区划码），已接受") % {"code": code}


@lru_cache(maxsize=65_536)
def _place_known(code: str, year: int) -> bool:
    """Whether stdnum knows the place code as valid in the birth year. Its lookup scans a table (~50 µs), and an
    import sees the same few codes and years again and again."""
    try:
        ric.get_birth_place(f"{code}{year:04d}01010000")
    except Exception:  # stdnum raises its own errors for unknown or retired place codes
        return False
    return True


def normalize_uscc(raw: str) -> str:
    return "".join(str(raw or "").split()).upper()


def validate_uscc(raw: str) -> str:
    """Checks a unified social credit code (统一社会信用代码): 18 characters, admin code, check character."""
    code = normalize_uscc(raw)
    if len(code) != 18:
        raise IdentityError(_("统一社会信用代码应为 18 位，实际 %(n)d 位") % {"n": len(code)})
    if any(c not in USCC_ALPHABET for c in code):
        raise IdentityError(_("统一社会信用代码含有无效字符（不使用 I、O、Z、S、V）"))
    if not code[2:8].isdigit():
        raise IdentityError(_("统一社会信用代码第 3–8 位应为行政区划码"))
    if uscc.calc_check_digit(code) != code[17]:
        raise IdentityError(_("统一社会信用代码校验位错误"))
    return code


def normalize_phone(raw: str) -> str:
    """A mainland number in a canonical form: 11-digit mobiles, fixed lines with their area code (0394…)."""
    text = str(raw or "").strip()
    if not text:
        raise IdentityError(_("电话号码为空"))
    if text.endswith(".0") and text[:-2].isdigit():  # a number that went through Excel as a float
        text = text[:-2]
    if len(text) == 11 and text.isdigit() and CN_MOBILE.fullmatch(text):
        return text  # the common case, without a full parse (phonenumbers' own pattern for mainland mobiles)
    try:
        parsed = phonenumbers.parse(text, "CN")
    except phonenumbers.NumberParseException as exc:
        raise IdentityError(_("电话号码无法识别：%(value)s") % {"value": text[:30]}) from exc
    if not phonenumbers.is_valid_number(parsed):
        raise IdentityError(_("电话号码无效：%(value)s") % {"value": text[:30]})
    if parsed.country_code == 86:
        national = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
        return "".join(ch for ch in national if ch.isdigit())
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def mask_resident_id(number: str) -> str:
    """4116**********123X: region and the last four, as the public-security convention shows it."""
    if not number:
        return ""
    return number[:4] + "*" * (len(number) - 8) + number[-4:] if len(number) > 8 else "*" * len(number)


def mask_phone(number: str) -> str:
    """138****5678 for mobiles; fixed lines keep the area code and the last four."""
    if not number:
        return ""
    if len(number) == 11 and number.startswith("1"):
        return number[:3] + "****" + number[-4:]
    if len(number) > 6:
        return number[:4] + "*" * (len(number) - 8 if len(number) > 8 else 2) + number[-4:]
    return "*" * len(number)
