"""The synthetic registry's rows, checked with the validators the import uses (no database)."""

import datetime as dt
from collections import Counter
from functools import cache

import pytest
from stdnum.cn import uscc

from gridgov.core.identity import normalize_phone, parse_resident_id, validate_uscc
from gridgov.demo.loader import demo_grids
from gridgov.demo.registry import (
    BIRTH_YEARS,
    COUNTY_PREFIX,
    HEADERS,
    NEIGHBOUR_PREFIXES,
    RegistryGenerator,
    credit_code,
    organisation_code_check,
)

TODAY = dt.date(2026, 1, 14)  # a Wednesday: the licences' anchor is Monday 2026-01-12
HOUSEHOLDS = 3_000
MALE_RELATIONS = {"子", "父亲", "孙子"}
FEMALE_RELATIONS = {"女", "母亲", "孙女"}


@cache
def registry(households: int = HOUSEHOLDS):
    generator = RegistryGenerator(demo_grids(), households=households, today=TODAY)
    pairs = list(generator.household_rows())
    return (
        [h for h, _members in pairs],
        [r for _h, members in pairs for r in members],
        generator.place_rows(),
        generator.licence_rows(),
    )


def column(kind: str, header: str) -> int:
    return HEADERS[kind].index(header)


def test_every_resident_id_is_valid_unique_and_matches_gender_and_birth_years():
    _households, residents, _places, _licences = registry()
    ids = [r[column("residents", "身份证号")] for r in residents]
    assert len(set(ids)) == len(ids)
    prefixes = Counter()
    for row, number in zip(residents, ids, strict=True):
        parsed = parse_resident_id(number, today=TODAY)
        assert parsed.number == number
        assert BIRTH_YEARS[0] <= parsed.birth_date.year <= BIRTH_YEARS[1]
        relation = row[column("residents", "与户主关系")]
        if relation in MALE_RELATIONS:
            assert parsed.gender == "M", row
        elif relation in FEMALE_RELATIONS:
            assert parsed.gender == "F", row
        prefixes[number[:6]] += 1
    assert set(prefixes) <= {COUNTY_PREFIX, *NEIGHBOUR_PREFIXES}
    assert prefixes[COUNTY_PREFIX] > 0.75 * len(ids)
    assert len(prefixes) > 3
    # Taikang IDs of people born before 2000 are the case stdnum's ric rejects (ARCHITECTURE §7): there are many.
    assert sum(1 for n in ids if n.startswith(COUNTY_PREFIX) and n[6:10] < "2000") > len(ids) // 3


def test_ids_stay_unique_when_one_birth_day_is_crowded():
    # 600 men born on one day in one county: the 501st moves to the next day instead of repeating a number.
    from gridgov.demo.registry import _IdNumbers

    ids = _IdNumbers()
    numbers = [ids.issue(COUNTY_PREFIX, dt.date(1985, 3, 1), "M") for _ in range(600)]
    assert len(set(numbers)) == 600
    parsed = [parse_resident_id(n) for n in numbers]
    assert all(p.gender == "M" for p in parsed)
    assert Counter(p.birth_date for p in parsed) == {dt.date(1985, 3, 1): 500, dt.date(1985, 3, 2): 100}


def test_every_phone_is_a_valid_mainland_mobile():
    households, residents, places, _licences = registry()
    phones = [r[column("residents", "联系电话")] for r in residents]
    phones += [h[column("households", "联系电话")] for h in households]
    phones += [p[column("places", "联系电话")] for p in places]
    present = [p for p in phones if p]
    assert len(present) > len(phones) // 2
    for phone in present:
        assert normalize_phone(phone) == phone
        assert len(phone) == 11 and phone[:2] in {"13", "15", "18", "19"}


def test_households_have_their_residents_and_cover_every_grid():
    households, residents, _places, _licences = registry()
    codes = [h[column("households", "户编号")] for h in households]
    assert len(set(codes)) == len(codes) == HOUSEHOLDS
    members = Counter(r[column("residents", "户编号")] for r in residents)
    heads = {
        r[column("residents", "户编号")]: r[column("residents", "身份证号")]
        for r in residents
        if r[column("residents", "与户主关系")] == "户主"
    }
    for household in households:
        code = household[column("households", "户编号")]
        assert int(household[column("households", "人口数")]) == members[code]
        assert 1 <= members[code] <= 6
        assert household[column("households", "户主身份证号")] == heads[code]
    relations = Counter(r[column("residents", "与户主关系")] for r in residents)
    assert relations["户主"] == HOUSEHOLDS
    assert {"配偶", "子", "女", "孙子", "孙女", "父亲", "母亲"} <= set(relations)
    tags = Counter(t for r in residents for t in r[column("residents", "标签")].split("、") if t)
    tags.update(t for h in households for t in h[column("households", "标签")].split("、") if t)
    assert {"外出务工", "返乡", "独居老人", "低保户", "残疾人"} <= set(tags)
    grids = demo_grids()
    assert len(grids) < HOUSEHOLDS
    assert {h[column("households", "网格编码")] for h in households} == {g.code for g in grids}


def test_credit_codes_are_valid_and_unique():
    _households, _residents, places, _licences = registry()
    codes = [
        p[column("places", "统一社会信用代码")] for p in places if p[column("places", "统一社会信用代码")]
    ]
    assert len(set(codes)) == len(codes) > len(places) // 2
    for code in codes:
        assert validate_uscc(code) == code
        assert uscc.validate(code) == code
        assert code[2:8] == COUNTY_PREFIX
        assert organisation_code_check(code[8:16]) == code[16]
    assert {c[:2] for c in codes} == {"91", "92", "12"}
    # Public, well-known codes: 阿里巴巴（中国）有限公司 91330100716105852F (organisation code 71610585-2) and
    # 深圳市腾讯计算机系统有限公司 9144030071526726XG (71526726-X).
    assert organisation_code_check("71610585") == "2"
    assert organisation_code_check("71526726") == "X"
    assert len({credit_code(n, "91") for n in range(1, 20_001)}) == 20_000


def test_places_cover_the_kinds_the_meeting_asks_for():
    _households, _residents, places, _licences = registry()
    kinds = Counter(p[column("places", "类型")] for p in places)
    assert set(kinds) == {
        "商店",
        "超市",
        "烟花爆竹零售点",
        "烟花爆竹仓库",
        "重点企业",
        "集贸市场",
        "学校",
        "餐饮店",
    }
    enterprises = [p for p in places if p[column("places", "类型")] == "重点企业"]
    assert all(p[column("places", "行业")] for p in enterprises)
    supermarkets = [p for p in places if p[column("places", "类型")] == "超市"]
    selling = [p for p in supermarkets if p[column("places", "销售烟花爆竹")] == "是"]
    assert selling and len(selling) < len(supermarkets)
    assert {p[column("places", "排查登记状态")] for p in selling} >= {"已登记", "未排查"}


def test_licences_include_expiring_expired_and_transport():
    _households, _residents, _places, licences = registry()
    kind, valid_to = column("licences", "许可证种类"), column("licences", "有效期止")
    retail = [row for row in licences if row[kind] == "烟花爆竹经营(零售)许可证"]
    left = [(dt.date.fromisoformat(row[valid_to]) - TODAY).days for row in retail]
    assert any(1 <= days <= 30 for days in left)
    assert any(days < 0 for days in left)
    assert any(days > 30 for days in left)
    transport = [row for row in licences if row[kind] == "烟花爆竹道路运输许可证"]
    assert transport
    for row in transport:
        for header in ("托运人", "承运人", "起运地", "目的地", "运输路线", "运输数量"):
            assert row[column("licences", header)], header
    numbers = [(row[kind], row[column("licences", "证号")]) for row in licences]
    assert len(set(numbers)) == len(numbers)


def test_the_generator_is_deterministic_and_a_smaller_registry_is_a_prefix_of_a_larger_one():
    households, residents, places, licences = registry()
    again = RegistryGenerator(demo_grids(), households=HOUSEHOLDS, today=TODAY)
    pairs = list(again.household_rows())
    assert [h for h, _m in pairs] == households
    assert [r for _h, m in pairs for r in m] == residents
    assert again.place_rows() == places
    assert again.licence_rows() == licences
    smaller = list(RegistryGenerator(demo_grids(), households=500, today=TODAY).household_rows())
    assert [h for h, _m in smaller] == households[:500]
    assert [r for _h, m in smaller for r in m] == residents[: sum(len(m) for _h, m in smaller)]


def test_licence_dates_hold_for_the_whole_week():
    # The anchor is the week's Monday: any day of one week gives the same rows, so a reload changes nothing.
    week = [dt.date(2026, 1, 12) + dt.timedelta(days=d) for d in range(7)]
    rows = {
        tuple(map(tuple, RegistryGenerator(demo_grids(), households=400, today=day).licence_rows()))
        for day in week
    }
    assert len(rows) == 1


@pytest.mark.parametrize("households", [0, 9])
def test_tiny_registries_have_no_places_or_licences(households):
    generator = RegistryGenerator(demo_grids(), households=households, today=TODAY)
    assert len(list(generator.household_rows())) == households
    assert generator.place_rows() == [] and generator.licence_rows() == []
