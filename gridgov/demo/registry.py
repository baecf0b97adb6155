"""The demo county's synthetic registry (台账): households, residents, places and licences for 太康县.

Everything is drawn from fixed seeds, so every run gives the same ledgers: the same household codes, names, ID
numbers and phones. Households are generated in order from one random stream whose draws do not depend on how
many households are asked for, so a smaller registry is the first part of a larger one (loading the default and
then ``--scale county`` adds households; it does not rewrite the first 20,000).

The one thing tied to the calendar is licence validity: it is counted from the Monday of the current week, so that
the demo always has licences that expire within 30 days and licences already expired. Reloading within the same
week changes nothing; in a later week the import updates those dates.

The ledgers are loaded the way a county office loads its spreadsheets: written as CSV files and imported through
``gridgov.registry`` (``read_table`` + ``registry_import``), with the import's validation, encryption, blind
indexes and natural-key upsert. Nothing here writes registry models directly.
"""

import bisect
import csv
import datetime as dt
import itertools
import math
import random
import tempfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from django.utils import timezone
from stdnum.cn import uscc

from gridgov.core.identity import USCC_ALPHABET, ric_check_digit
from gridgov.registry.columns import COLUMNS
from gridgov.registry.readers import read_table
from gridgov.registry.services.importing import ImportReport, registry_import

SEED = 411627
#: Households per scale; places are one for every ``HOUSEHOLDS_PER_PLACE`` households.
SCALES = {"none": 0, "small": 500, "default": 20_000, "county": 400_000}
HOUSEHOLDS_PER_PLACE = 10
#: Import order: residents need their households, licences the places whose credit code they carry.
KINDS = ("households", "residents", "places", "licences")
HEADERS = {kind: [column.header for column in COLUMNS[kind]] for kind in KINDS}

COUNTY_PREFIX = "411627"  # 太康县
#: Other counties of 周口市, for people registered elsewhere (most often those who married into Taikang).
#: 411626 is 淮阳县's code before it became 淮阳区 (411603) in 2019: IDs issued earlier keep it.
NEIGHBOUR_PREFIXES = ("411602", "411621", "411622", "411623", "411624", "411625", "411626", "411628")
BIRTH_YEARS = (1930, 2024)
AGE_REFERENCE_YEAR = 2025  # ages (for tags and phones) are counted from a fixed year, not from today

#: Valid mainland mobile prefixes (phonenumbers accepts the whole range after each), weighted by how common.
MOBILE_PREFIXES = (
    *("130", "131", "132", "133", "134", "135", "136", "137", "138", "139") * 3,
    *("150", "151", "152", "155", "156", "157", "158", "159") * 2,
    *("180", "181", "182", "183", "185", "186", "187", "188", "189") * 2,
    "153",
    "184",
    "191",
    "193",
    "195",
    "198",
    "199",
)

# 周口 surnames, the most common first (repeats weight them).
SURNAMES = (
    ("王",) * 9
    + ("李",) * 8
    + ("张",) * 8
    + ("刘",) * 6
    + ("陈",) * 4
    + ("杨",) * 3
    + ("赵",) * 3
    + ("郭",) * 3
    + ("孙",) * 2
    + ("马",) * 2
    + ("朱",) * 2
    + ("胡",) * 2
    + ("高",) * 2
    + tuple("许宋何周吕徐黄郑梁韩冯田程董谢曹袁付邓魏岳常翟侯杜史范方孟姚薛闫苗")
)


def _names(text: str) -> tuple[str, ...]:
    return tuple(text.split())


#: Given names by sex and by when people were born (naming fashions change): before 1970, 1970–1999, 2000 on.
GIVEN_NAMES = {
    ("M", 0): _names(
        "建国 国庆 德明 长山 保国 振华 金锁 铁柱 富贵 志刚 玉成 广才 新民 占奎 春生 金山 学文 全喜 保安 中华 "
        "秋生 庆丰 德胜 有才 根生 明 忠 贵 福 礼"
    ),
    ("F", 0): _names(
        "秀英 桂兰 玉兰 凤英 秀兰 桂英 素珍 玉梅 秀珍 春花 淑芬 翠兰 凤琴 爱荣 改云 兰英 金凤 香 梅 英"
    ),
    ("M", 1): _names(
        "伟 磊 勇 军 强 涛 斌 超 鹏 刚 建军 红伟 海涛 俊峰 志强 晓东 亚军 卫东 永辉 建华 振宇 国栋 少华 文博 俊杰 "
        "新峰 伟伟"
    ),
    ("F", 1): _names(
        "丽 静 敏 艳 娟 燕 霞 红霞 丽娜 晓燕 亚丽 春燕 海燕 彩霞 玉洁 慧敏 莉莉 婷婷 倩倩 晓丽 雪梅 艳丽 娜"
    ),
    ("M", 2): _names(
        "浩然 子轩 宇航 梓豪 一鸣 俊熙 浩宇 子墨 皓轩 博文 沐阳 宇泽 嘉豪 天佑 明轩 思远 锦程 子豪 奕辰 瑞"
    ),
    ("F", 2): _names(
        "梓涵 欣怡 诗涵 雨萱 一诺 子涵 可馨 梦瑶 语桐 思琪 佳怡 若曦 雨桐 欣妍 紫萱 静怡 安然 沐晨 悦"
    ),
}
#: Members a household has, weighted (mean 3.32: 20,000 households give 66,077 residents, 400,000 about 1.32 million).
MEMBER_WEIGHTS = ((1, 12), (2, 22), (3, 22), (4, 20), (5, 14), (6, 10))
GROUP_NUMERALS = "一二三四五六七八九十"
STREETS = ("建设路", "人民路", "文化路", "解放路", "新华路", "健康路", "谢安大道", "广场路")
SHOP_WORDS = (
    "鑫源",
    "万家福",
    "惠民",
    "好又多",
    "家家乐",
    "兴隆",
    "便民",
    "佳美",
    "顺发",
    "福满多",
    "金星",
    "华联",
)


@dataclass(frozen=True)
class DemoGrid:
    code: str
    township: str  # 常营镇
    village: str  # 高寨村 or 北街社区 (the statistical name without 村民委员会 / 居民委员会)
    number: int  # the grid's sequence in its village (its 组 in addresses)

    @property
    def is_community(self) -> bool:
        return self.village.endswith("社区")


def short_village_name(name: str) -> str:
    """高寨村民委员会 → 高寨村, 北街居民委员会 → 北街社区."""
    for suffix, short in (("村民委员会", "村"), ("居民委员会", "社区"), ("村委会", "村"), ("居委会", "社区")):
        if name.endswith(suffix):
            return name[: -len(suffix)] + short
    return name


def _weighted(pairs):
    values = [v for v, _w in pairs]
    cumulative = list(itertools.accumulate(w for _v, w in pairs))
    return values, cumulative


def _pick(rng: random.Random, table) -> object:
    values, cumulative = table
    return values[bisect.bisect_right(cumulative, rng.random() * cumulative[-1])]


MEMBERS = _weighted(MEMBER_WEIGHTS)
PLACE_KINDS = _weighted(
    (
        ("商店", 480),
        ("餐饮店", 200),
        ("超市", 120),
        ("重点企业", 75),
        ("学校", 50),
        ("烟花爆竹零售点", 45),
        ("集贸市场", 20),
        ("烟花爆竹仓库", 5),
    )
)
#: The first places are of these kinds, so that even a small registry has a few of each that matters.
FIRST_PLACE_KINDS = (
    "烟花爆竹零售点",
    "烟花爆竹仓库",
    "烟花爆竹零售点",
    "超市",
    "重点企业",
    "烟花爆竹零售点",
    "学校",
    "集贸市场",
    "商店",
    "餐饮店",
)
INDUSTRIES = _weighted(
    (
        ("工贸", 40),
        ("建筑施工", 15),
        ("道路运输", 12),
        ("危险化学品", 10),
        ("燃气", 8),
        ("烟花爆竹", 5),
        ("非煤矿山", 2),
        ("其他", 8),
    )
)
INDUSTRY_NAMES = {
    "工贸": (
        "纺织有限公司",
        "面粉有限公司",
        "机械制造有限公司",
        "木业有限公司",
        "食品有限公司",
        "制衣有限公司",
    ),
    "建筑施工": ("建筑工程有限公司", "建设集团有限公司"),
    "道路运输": ("物流有限公司", "汽车运输有限公司"),
    "危险化学品": ("化工有限公司", "石化销售有限公司"),
    "燃气": ("燃气有限公司", "液化气站"),
    "烟花爆竹": ("烟花爆竹批发有限公司",),
    "非煤矿山": ("砂石有限公司",),
    "其他": ("农业开发有限公司", "再生资源回收有限公司"),
}
#: Industries whose enterprises hold a 安全生产许可证 in the demo.
WORK_SAFETY_INDUSTRIES = {"危险化学品", "烟花爆竹", "非煤矿山", "建筑施工"}
#: Of every ten retail licences (by their order), these expire within 30 days and these have expired.
EXPIRING_SLOTS = {1, 4}
EXPIRED_SLOTS = {2}
FIREWORKS_PRODUCTS = "个人燃放类（C级、D级），不含礼花弹"
TRANSPORT_PRODUCTS = ("组合烟花类、喷花类", "爆竹类、组合烟花类", "礼花类（A级）、组合烟花类")
CARRIERS = ("周口市安通危险货物运输有限公司", "周口市顺达危货运输有限公司", "太康县平安物流有限公司")
ROUTES = ("S213—G344", "S214—S213", "G344—S218", "S218—X012")


# --- positions ----------------------------------------------------------------------------------------------
#: 太康县 lies about 114.6–115.2° E, 33.8–34.3° N; the demo's townships are spread over an ellipse inside that box.
COUNTY_CENTRE = (114.90, 34.05)
COUNTY_RADII = (0.22, 0.17)  # degrees of longitude and of latitude
GOLDEN_ANGLE = math.pi * (3 - math.sqrt(5))
HOUSEHOLD_SPREAD = 0.0025  # degrees (about 250 m): how far a village's houses lie from its centre
PLACE_SPREAD = 0.004


def _unit(text: str, salt: int) -> float:
    """A number in [0, 1) drawn from ``text``: the same every run, and no draw taken from the random streams
    (so adding positions changed none of the other columns)."""
    return zlib.crc32(f"{salt}|{text}".encode()) / 2**32


class DemoMap:
    """Plausible positions: each township a cluster (its centre on a sunflower spiral over the county), each
    village a smaller cluster within it, each household or place scattered around its village's centre."""

    def __init__(self, grids: Sequence["DemoGrid"]):
        villages: dict[str, set[str]] = {}
        for grid in grids:
            villages.setdefault(grid.code[:9], set()).add(grid.code[:12])
        townships = sorted(villages)
        spread = min(0.045, 0.18 / math.sqrt(len(townships) or 1))
        self.centres: dict[str, tuple[float, float]] = {}
        for i, township in enumerate(townships):
            radius = math.sqrt((i + 0.5) / len(townships))
            angle = i * GOLDEN_ANGLE + 0.6
            x = COUNTY_CENTRE[0] + COUNTY_RADII[0] * radius * math.cos(angle)
            y = COUNTY_CENTRE[1] + COUNTY_RADII[1] * radius * math.sin(angle)
            codes = sorted(villages[township])
            turn = _unit(township, 1) * 2 * math.pi
            for j, village in enumerate(codes):
                r = spread * math.sqrt((j + 0.5) / len(codes))
                a = j * GOLDEN_ANGLE + turn
                self.centres[village] = (x + r * math.cos(a) / math.cos(math.radians(y)), y + r * math.sin(a))

    def point(self, grid_code: str, key: str, spread: float = HOUSEHOLD_SPREAD) -> tuple[str, str]:
        """(经度, 纬度) cells for a household or place of the grid, scattered (normally) around its village."""
        x, y = self.centres[grid_code[:12]]
        r = spread * math.sqrt(-2 * math.log(1 - _unit(key, 2)))
        a = 2 * math.pi * _unit(key, 3)
        return f"{x + r * math.cos(a) / math.cos(math.radians(y)):.6f}", f"{y + r * math.sin(a):.6f}"


# --- numbers ------------------------------------------------------------------------------------------------
def organisation_code_check(body: str) -> str:
    """Check character of an organisation code (组织机构代码, GB 11714), the 9th–17th characters of a USCC."""
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(c, 36) * w for c, w in zip(body, weights, strict=True))
    check = 11 - total % 11
    return "X" if check == 10 else "0" if check == 11 else str(check)


def credit_code(serial: int, registration: str) -> str:
    """A unique, valid unified social credit code for ``serial``: ``registration`` is the 登记管理部门 and
    机构类别 ("91" company, "92" 个体工商户, "12" 事业单位), then Taikang's admin code, an organisation code
    with its own check character, and the USCC check character (``stdnum.cn.uscc``)."""
    if registration == "12":  # public institutions keep their old all-digit organisation codes
        body = f"4{(serial * 7_919 + 1_234_567) % 10**7:07d}"
    else:  # codes issued since 2015 start with MA; the rest spreads the serial over the USCC alphabet
        scrambled = (serial * 387_420_489 + 12_345) % 31**6  # 3**18 is coprime to 31**6: a bijection
        digits = []
        for _ in range(6):
            scrambled, digit = divmod(scrambled, 31)
            digits.append(USCC_ALPHABET[digit])
        body = "MA" + "".join(digits)
    first17 = registration + COUNTY_PREFIX + body + organisation_code_check(body)
    return first17 + uscc.calc_check_digit(first17)


class _IdNumbers:
    """Resident ID numbers that are unique across the whole registry: the three-digit order code after the
    birth date counts people born on the same day in the same county, odd for men and even for women."""

    def __init__(self):
        self.issued: dict[tuple[str, int, str], int] = {}

    def issue(self, prefix: str, birth: dt.date, gender: str) -> str:
        while True:
            key = (prefix, birth.toordinal(), gender)
            n = self.issued.get(key, 0)
            if n < 500:
                self.issued[key] = n + 1
                break
            birth += dt.timedelta(days=1)  # 500 people of one sex born on one day in one county: next day
        ordinal = birth.toordinal()
        station = (ordinal * 37 + int(prefix) + n) % 100
        digits = "13579" if gender == "M" else "02468"
        first17 = f"{prefix}{birth.year:04d}{birth.month:02d}{birth.day:02d}{station:02d}{digits[(ordinal + n // 100) % 5]}"
        return first17 + ric_check_digit(first17)


# --- the generator ------------------------------------------------------------------------------------------
@dataclass
class _Person:
    name: str
    gender: str
    born: int  # year
    relation: str
    prefix: str


class RegistryGenerator:
    """Rows for the four ledgers, as text cells in the order of ``HEADERS[kind]``."""

    def __init__(
        self,
        grids: Sequence[DemoGrid],
        *,
        households: int,
        today: dt.date | None = None,
        seed: int = SEED,
    ):
        if not grids:
            raise ValueError("the demo registry needs at least one grid")
        self.grids = list(grids)
        self.households = households
        self.seed = seed
        today = today or timezone.localdate()
        self.anchor = today - dt.timedelta(days=today.weekday())  # Monday of this week
        self.places = households // HOUSEHOLDS_PER_PLACE if households else 0
        self.map = DemoMap(self.grids)
        self._places: list[dict] | None = None

    # households and residents ---------------------------------------------------------------------------
    def household_rows(self) -> Iterator[tuple[list[str], list[list[str]]]]:
        """(household row, its residents' rows), household by household."""
        rng = random.Random(self.seed)
        ids = _IdNumbers()
        grid_count = len(self.grids)
        for index in range(self.households):
            # Round robin over the grids: every grid gets households, and household N always lands in the same
            # grid whatever the scale.
            grid = self.grids[index % grid_count]
            number = index // grid_count + 1
            code = f"H{grid.code}-{number:04d}"
            people = self._family(rng)
            residents = []
            phones = []
            for person in people:
                birth = dt.date(person.born, 1, 1) + dt.timedelta(days=rng.randrange(365))
                id_number = ids.issue(person.prefix, birth, person.gender)
                age = AGE_REFERENCE_YEAR - person.born
                phone = self._phone(rng, age, person.relation == "户主")
                phones.append(phone)
                tags = []
                if 18 <= age <= 55:
                    draw = rng.random()
                    if draw < 0.22:
                        tags.append("外出务工")
                    elif draw < 0.27:
                        tags.append("返乡")
                if rng.random() < 0.02:
                    tags.append("残疾人")
                if len(people) == 1 and age >= 65:
                    tags.append("独居老人")
                residents.append([code, person.name, id_number, person.relation, phone, "、".join(tags)])
            head = residents[0]
            household_tags = []
            if rng.random() < 0.04:
                household_tags.append("低保户")
            if "独居老人" in head[5]:
                household_tags.append("独居老人")
            address = self._address(grid, number)
            phone = next((p for p in phones if p), "")
            yield (
                [
                    code,
                    grid.code,
                    address,
                    head[1],
                    head[2],
                    phone,
                    str(len(people)),
                    "、".join(household_tags),
                    *self.map.point(grid.code, code),
                ],
                residents,
            )

    def _family(self, rng: random.Random) -> list[_Person]:
        members = _pick(rng, MEMBERS)
        if members == 1:
            # People living alone are mostly elderly here.
            head_born = rng.randint(1935, 1962) if rng.random() < 0.6 else rng.randint(1960, 2000)
        else:
            head_born = rng.randint(1945, 1998)
        head_gender = "M" if rng.random() < 0.82 else "F"
        head_surname = rng.choice(SURNAMES)
        head = self._person(rng, head_gender, head_born, "户主", head_surname, local=0.92)
        people = [head]
        family_surname = head_surname if head_gender == "M" else rng.choice(SURNAMES)
        if members >= 2 and rng.random() < 0.88:
            spouse_gender = "F" if head_gender == "M" else "M"
            offset = rng.randint(-1, 6) if head_gender == "M" else rng.randint(-6, 1)
            spouse_born = min(max(head_born + offset, BIRTH_YEARS[0]), BIRTH_YEARS[1] - 18)
            people.append(
                self._person(rng, spouse_gender, spouse_born, "配偶", rng.choice(SURNAMES), local=0.6)
            )
        children = 0
        while len(people) < members:
            can_have_parents = head_born >= 1958 and not any(p.relation in ("父亲", "母亲") for p in people)
            can_have_grandchildren = head_born <= 1975 and children > 0
            draw = rng.random()
            if can_have_parents and draw < 0.35:
                for gender, relation in (("M", "父亲"), ("F", "母亲")):
                    if len(people) < members:
                        born = max(head_born - rng.randint(22, 32), BIRTH_YEARS[0])
                        surname = family_surname if gender == "M" else rng.choice(SURNAMES)
                        people.append(self._person(rng, gender, born, relation, surname, local=0.95))
            elif can_have_grandchildren and draw < 0.6:
                gender = "M" if rng.random() < 0.52 else "F"
                born = min(head_born + rng.randint(45, 60), BIRTH_YEARS[1])
                relation = "孙子" if gender == "M" else "孙女"
                people.append(self._person(rng, gender, born, relation, family_surname, local=0.97))
            else:
                gender = "M" if rng.random() < 0.52 else "F"
                born = min(head_born + rng.randint(21, 36), BIRTH_YEARS[1])
                relation = "子" if gender == "M" else "女"
                people.append(self._person(rng, gender, born, relation, family_surname, local=0.97))
                children += 1
        return people

    @staticmethod
    def _person(rng, gender, born, relation, surname, *, local: float) -> _Person:
        era = 0 if born < 1970 else 1 if born < 2000 else 2
        prefix = COUNTY_PREFIX if rng.random() < local else rng.choice(NEIGHBOUR_PREFIXES)
        return _Person(surname + rng.choice(GIVEN_NAMES[gender, era]), gender, born, relation, prefix)

    @staticmethod
    def _phone(rng: random.Random, age: int, is_head: bool) -> str:
        if age < 16:
            return ""
        share = 0.93 if is_head else 0.2 if age > 72 else 0.6
        if rng.random() >= share:
            return ""
        return rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"

    @staticmethod
    def _address(grid: DemoGrid, number: int) -> str:
        if grid.is_community:
            street = STREETS[(int(grid.code) + number) % len(STREETS)]
            return f"{grid.township}{grid.village}{street}{number * 2 - 1}号"
        group = GROUP_NUMERALS[(grid.number - 1) % len(GROUP_NUMERALS)]
        return f"{grid.township}{grid.village}{group}组{number}号"

    # places and licences ----------------------------------------------------------------------------------
    def place_records(self) -> list[dict]:
        if self._places is None:
            self._places = self._make_places()
        return self._places

    def place_rows(self) -> list[list[str]]:
        keys = [column.key for column in COLUMNS["places"]]
        return [[record[key] for key in keys] for record in self.place_records()]

    def _make_places(self) -> list[dict]:
        rng = random.Random(self.seed + 1)
        per_village: dict[str, int] = {}
        places = []
        for index in range(self.places):
            kind = FIRST_PLACE_KINDS[index] if index < len(FIRST_PLACE_KINDS) else _pick(rng, PLACE_KINDS)
            grid = self.grids[rng.randrange(len(self.grids))]
            village_key = grid.code[:12]
            per_village[village_key] = per_village.get(village_key, 0) + 1
            place_number = per_village[village_key]
            keeper_gender = "M" if rng.random() < 0.7 else "F"
            keeper = self._person(
                rng, keeper_gender, rng.randint(1960, 1998), "", rng.choice(SURNAMES), local=1
            )
            record = {
                "kind": kind,
                "industry": "",
                "credit_code": "",
                "grid": grid.code,
                "address": self._place_address(grid, place_number, kind),
                "person_in_charge": keeper.name,
                "phone": rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}",
                "risk_level": "低风险",
                "sells_fireworks": "否",
                "registration_status": "",
                "tags": "",
                "township": grid.township,
            }
            record["longitude"], record["latitude"] = self.map.point(
                grid.code, f"place-{index}", PLACE_SPREAD
            )
            surname = keeper.name[0]
            word = rng.choice(SHOP_WORDS)
            serial = index + 1
            if kind == "商店":
                record["name"] = rng.choice(
                    (
                        f"{surname}记便利店",
                        f"{grid.village}{surname}家商店",
                        f"{word}百货",
                        f"{surname}氏小卖部",
                    )
                )
                if rng.random() < 0.6:
                    record["credit_code"] = credit_code(serial, "92")
                self._fireworks_check(rng, record, sells=0.08)
            elif kind == "超市":
                record["name"] = rng.choice(
                    (f"{word}超市", f"{grid.village}{word}生活超市", f"{word}购物广场")
                )
                record["credit_code"] = credit_code(serial, "91" if rng.random() < 0.5 else "92")
                self._fireworks_check(rng, record, sells=0.25 if index >= len(FIRST_PLACE_KINDS) else 1)
            elif kind == "餐饮店":
                dish = rng.choice(("烩面馆", "羊肉汤馆", "胡辣汤", "家常菜馆", "小吃部", "饭店"))
                record["name"] = f"{surname}记{dish}"
                if rng.random() < 0.5:
                    record["credit_code"] = credit_code(serial, "92")
            elif kind == "烟花爆竹零售点":
                record["name"] = f"太康县{grid.township}{keeper.name}烟花爆竹零售点"
                record["credit_code"] = credit_code(serial, "92")
                record["risk_level"] = "一般风险" if rng.random() < 0.7 else "较大风险"
                record["sells_fireworks"] = "是"
                record["registration_status"] = "已登记"
            elif kind == "烟花爆竹仓库":
                record["name"] = f"太康县{word}烟花爆竹有限公司{grid.township}仓库"
                record["credit_code"] = credit_code(serial, "91")
                record["risk_level"] = "重大风险" if rng.random() < 0.5 else "较大风险"
                record["sells_fireworks"] = "是"
                record["registration_status"] = "已登记"
            elif kind == "重点企业":
                industry = _pick(rng, INDUSTRIES)
                record["industry"] = industry
                record["name"] = f"太康县{word}{rng.choice(INDUSTRY_NAMES[industry])}"
                record["credit_code"] = credit_code(serial, "91")
                record["risk_level"] = rng.choice(("一般风险", "一般风险", "较大风险", "重大风险"))
                if industry in ("危险化学品", "烟花爆竹", "燃气"):
                    record["risk_level"] = rng.choice(("较大风险", "重大风险"))
            elif kind == "集贸市场":
                record["name"] = f"{grid.township}{grid.village}集贸市场"
                record["risk_level"] = "一般风险"
            elif kind == "学校":
                level = rng.choice(("小学", "小学", "幼儿园", "初级中学"))
                record["name"] = f"太康县{grid.township}{grid.village}{level}"
                record["credit_code"] = credit_code(serial, "12")
                record["risk_level"] = "一般风险"
            places.append(record)
        return places

    @staticmethod
    def _fireworks_check(rng: random.Random, record: dict, *, sells: float) -> None:
        """The meeting's 销售场所排查登记: shops and supermarkets are checked for fireworks."""
        if rng.random() < sells:
            record["sells_fireworks"] = "是"
            draw = rng.random()
            record["registration_status"] = (
                "已登记" if draw < 0.7 else "未排查" if draw < 0.9 else "发现非法经营"
            )
        else:
            record["registration_status"] = "已排查·不售烟花" if rng.random() < 0.5 else "未排查"

    @staticmethod
    def _place_address(grid: DemoGrid, number: int, kind: str) -> str:
        if kind in ("重点企业", "烟花爆竹仓库"):
            return f"{grid.township}{grid.village}产业园{number}号"
        if grid.is_community:
            return f"{grid.township}{grid.village}{STREETS[number % len(STREETS)]}{100 + number}号"
        return f"{grid.township}{grid.village}街道{number}号"

    def licence_rows(self) -> list[list[str]]:
        rng = random.Random(self.seed + 2)
        places = self.place_records()
        rows = []
        keys = [column.key for column in COLUMNS["licences"]]

        def add(**values):
            rows.append([values.get(key, "") for key in keys])

        retail = [p for p in places if p["kind"] == "烟花爆竹零售点"]
        for k, place in enumerate(retail):
            slot = k % 10
            if slot in EXPIRING_SLOTS:
                valid_to = self.anchor + dt.timedelta(days=rng.randint(7, 28))
            elif slot in EXPIRED_SLOTS:
                valid_to = self.anchor - dt.timedelta(days=rng.randint(1, 150))
            else:
                valid_to = self.anchor + dt.timedelta(days=rng.randint(40, 400))
            valid_from = valid_to - dt.timedelta(days=364)
            add(
                kind="烟花爆竹经营(零售)许可证",
                number=f"豫周太烟零字〔{valid_from.year}〕第{k + 1:05d}号",
                holder_name=place["name"],
                credit_code=place["credit_code"],
                issuing_authority="太康县应急管理局",
                valid_from=valid_from.isoformat(),
                valid_to=valid_to.isoformat(),
                product_types=FIREWORKS_PRODUCTS,
                max_storage=f"{rng.choice((50, 80, 100, 150, 200))}箱",
            )
        warehouses = [p for p in places if p["kind"] == "烟花爆竹仓库"]
        for k, place in enumerate(warehouses):
            valid_from = self.anchor - dt.timedelta(days=rng.randint(100, 600))
            add(
                kind="烟花爆竹经营(批发)许可证",
                number=f"豫周烟批字〔{valid_from.year}〕第{k + 1:04d}号",
                holder_name=place["name"],
                credit_code=place["credit_code"],
                issuing_authority="周口市应急管理局",
                valid_from=valid_from.isoformat(),
                valid_to=(valid_from + dt.timedelta(days=3 * 365)).isoformat(),
                product_types="A、B、C、D级烟花爆竹",
                max_storage=f"{rng.choice((10, 20, 30))}吨（净含药量）",
            )
        enterprises = [
            p for p in places if p["kind"] == "重点企业" and p["industry"] in WORK_SAFETY_INDUSTRIES
        ]
        for k, place in enumerate(enterprises):
            valid_from = self.anchor - dt.timedelta(days=rng.randint(30, 1000))
            add(
                kind="安全生产许可证",
                number=f"（豫）WH安许证字〔{valid_from.year}〕{k + 1:05d}",
                holder_name=place["name"],
                credit_code=place["credit_code"],
                issuing_authority="河南省应急管理厅",
                valid_from=valid_from.isoformat(),
                valid_to=(valid_from + dt.timedelta(days=3 * 365)).isoformat(),
            )
        # Road transport: single trips from a warehouse to a retail point, some done, some coming.
        trips = max(2, self.places // 250) if warehouses and retail else 0
        for k in range(trips):
            origin = warehouses[k % len(warehouses)]
            destination = retail[(k * 7) % len(retail)]
            valid_from = self.anchor + dt.timedelta(days=rng.randint(-40, 20))
            boxes = rng.randint(40, 300)
            add(
                kind="烟花爆竹道路运输许可证",
                number=f"豫周太公烟运字〔{valid_from.year}〕第{k + 1:04d}号",
                holder_name=origin["name"],
                credit_code=origin["credit_code"],
                issuing_authority="太康县公安局",
                valid_from=valid_from.isoformat(),
                valid_to=(valid_from + dt.timedelta(days=rng.randint(1, 3))).isoformat(),
                product_types=rng.choice(TRANSPORT_PRODUCTS),
                consignor=origin["name"],
                carrier=rng.choice(CARRIERS),
                origin=origin["address"],
                destination=destination["address"],
                route=f"{origin['township']}—{rng.choice(ROUTES)}—{destination['township']}",
                quantity=f"{boxes}箱（净含药量{boxes * 6}千克）",
            )
        return rows


# --- files and loading --------------------------------------------------------------------------------------
def write_csv(generator: RegistryGenerator, directory: str | Path) -> dict[str, Path]:
    """Writes the four ledgers as UTF-8 CSV with a BOM (what Excel saves as "CSV UTF-8"); returns their paths."""
    directory = Path(directory)
    paths = {kind: directory / f"{kind}.csv" for kind in KINDS}
    handles = {kind: open(path, "w", encoding="utf-8-sig", newline="") for kind, path in paths.items()}  # noqa: SIM115
    try:
        writers = {kind: csv.writer(handle) for kind, handle in handles.items()}
        for kind in KINDS:
            writers[kind].writerow(HEADERS[kind])
        households, residents = writers["households"], writers["residents"]
        for household, members in generator.household_rows():
            households.writerow(household)
            residents.writerows(members)
        writers["places"].writerows(generator.place_rows())
        writers["licences"].writerows(generator.licence_rows())
    finally:
        for handle in handles.values():
            handle.close()
    return paths


def registry_load(
    *,
    grids: Sequence[DemoGrid],
    households: int,
    today: dt.date | None = None,
    progress: Callable[[str, ImportReport], None] | None = None,
) -> dict[str, ImportReport]:
    """Generates the registry and imports it, ledger by ledger, through the import engine. Returns each
    ledger's import report (created / updated / unchanged / rejected)."""
    generator = RegistryGenerator(grids, households=households, today=today)
    reports = {}
    with tempfile.TemporaryDirectory(prefix="gridgov-demo-") as directory:
        paths = write_csv(generator, directory)
        for kind in KINDS:
            table = read_table(paths[kind])
            reports[kind] = registry_import(
                actor=None,
                kind=kind,
                table=table,
                progress=(lambda report, kind=kind: progress(kind, report)) if progress else None,
            )
    return reports
