"""Importing ledgers from spreadsheets: validate every row, store the good ones, report the bad ones.

Rows are processed in batches, each in its own transaction, and written by natural key (household code, the ID's
blind index, the credit code or name + address, licence kind + number). A second run of the same file therefore
changes nothing, and a run interrupted halfway can simply be started again.

Inserts and updates go through the connection's ``executemany`` rather than ``bulk_create``: on this hardware the
ORM spends most of a bulk insert building SQL, and imports are the platform's hottest write path.
"""

import contextlib
import datetime as dt
import gc
import itertools
import multiprocessing
import operator
import pickle
import re
import signal
import sys
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from gridgov.core.crypto import blind_index, indexer, seal, sealer
from gridgov.core.exceptions import InvalidInput, NotAllowed
from gridgov.core.identity import (
    IdentityError,
    mask_phone,
    mask_resident_id,
    normalize_phone,
    parse_resident_id,
    validate_uscc,
)
from gridgov.core.roles import Role
from gridgov.core.scope import scope_for
from gridgov.registry.columns import COLUMNS, Column
from gridgov.registry.models import (
    Household,
    Licence,
    LocationSource,
    Place,
    Resident,
    location_errors,
    parse_coordinate,
    tags_to_text,
)
from gridgov.registry.readers import Table
from gridgov.territory.models import Level, Region

# Rows written in one transaction. Inserts into the random blind-index B-trees dirty about one page a row in a batch
# of 2,000 and far fewer per row in larger ones, and SQLite writes each dirty page to the WAL at commit: 10,000
# rows a batch need about two thirds of the CPU time per row. A batch holds the write lock for a few tenths of
# a second.
BATCH_SIZE = 10_000
MAX_REPORTED_ERRORS = 100_000
IMPORT_ROLES = frozenset({Role.COUNTY_ADMIN, Role.TOWNSHIP_OFFICER})
TAG_SPLIT = re.compile(r"[,，、;；/\s]+")
TRUE_WORDS = {"是", "有", "y", "yes", "true", "1", "√", "✓"}
FALSE_WORDS = {"否", "无", "n", "no", "false", "0", "×", ""}


class RowError(Exception):
    def __init__(self, column: str, reason: str):
        self.column = column
        self.reason = reason
        super().__init__(f"{column}: {reason}")


@dataclass
class ImportError_:
    row: int
    column: str
    value: str
    reason: str


@dataclass
class ImportReport:
    kind: str
    total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    errors: list[ImportError_] = field(default_factory=list)

    @property
    def processed(self) -> int:
        return self.created + self.updated + self.unchanged + self.rejected


# --- cell parsing --------------------------------------------------------------------------------------------


def parse_bool(value: str, column: str) -> bool:
    word = value.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise RowError(column, _("应填“是”或“否”"))


DATE_PATTERNS = [
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
]


def parse_date(value: str, column: str) -> dt.date:
    text = value.strip()
    for pattern in DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            try:
                return dt.date(*(int(g) for g in match.groups()))
            except ValueError:
                break
    if text.isdigit() and 20000 < int(text) < 80000:  # an Excel serial day number
        return dt.date(1899, 12, 30) + dt.timedelta(days=int(text))
    raise RowError(column, _("日期无效：%(value)s（应如 2026-01-31）") % {"value": text[:20]})


def parse_choice(value: str, choices, column: str, *, default=None):
    text = value.strip()
    if not text:
        if default is not None:
            return default
        raise RowError(column, _("不能为空"))
    for choice_value, label in choices:
        if text in (choice_value, str(label)):
            return choice_value
    allowed = "、".join(str(label) for _v, label in choices)
    raise RowError(
        column, _("“%(value)s”不是有效选项（可选：%(allowed)s）") % {"value": text[:20], "allowed": allowed}
    )


def parse_tags(value: str) -> str:
    return tags_to_text(TAG_SPLIT.split(value)) if value else ""


@lru_cache(maxsize=16_384)
def _phone(value: str) -> tuple[str, str]:
    """(normalised, masked) for a phone: a household's landline comes again with each of its members, and
    parsing one with phonenumbers costs far more than the lookup."""
    phone = normalize_phone(value)
    return phone, mask_phone(phone)


def sealed_number(value: str, purpose: str, column: str):
    """(sealed, index, masked) for a phone; empty stays empty."""
    if not value.strip():
        return "", "", ""
    try:
        phone, masked = _phone(value.strip())
    except IdentityError as exc:
        raise RowError(column, str(exc)) from exc
    return seal(phone), blind_index(purpose, phone), masked


def resident_id(value: str, column: str, *, today: dt.date | None = None):
    try:
        parsed = parse_resident_id(value, today=today)
    except IdentityError as exc:
        raise RowError(column, str(exc)) from exc
    return parsed, seal(parsed.number), blind_index("ric", parsed.number), mask_resident_id(parsed.number)


def text(value: str, column: str, *, required: bool = False, max_length: int = 200) -> str:
    value = value.strip()
    if required and not value:
        raise RowError(column, _("不能为空"))
    if len(value) > max_length:
        raise RowError(column, _("不能超过 %(n)d 个字") % {"n": max_length})
    return value


# --- the importers --------------------------------------------------------------------------------------------


class Importer:
    """What differs between ledgers: how a row is cleaned, its natural key, and how existing rows are found."""

    kind: str
    model: type
    #: database columns written on insert and compared on re-import (besides the natural key)
    fields: tuple[str, ...]
    #: the natural key's own columns, written on insert only (a place's key lives in ``fields``)
    key_fields: tuple[str, ...] = ()

    def __init__(self, *, actor, header_map: dict[str, int]):
        self.actor = actor
        self.scope = scope_for(actor) if actor is not None else None
        self.header_map = header_map
        self.grids: dict[str, tuple[int, str]] = {}
        self.all_grid_codes: set[str] = set()
        self.today = timezone.localdate()  # birth dates are checked against it: once per import, not per row

    def load_grids(self) -> None:
        """The grids rows may name, and every grid code there is (for the error message): ``clean`` then needs
        no database, which lets worker processes run it."""
        qs = Region.objects.filter(level=Level.GRID, is_active=True)
        if self.scope is not None:
            qs = qs.filter(self.scope.region_q(IMPORT_ROLES))
        self.grids = {code: (pk, path) for pk, code, path in qs.values_list("id", "code", "path")}
        self.all_grid_codes = set(Region.objects.filter(level=Level.GRID).values_list("code", flat=True))

    def grid_id(self, value: str, column: str = "网格编码") -> int:
        code = value.strip()
        if not code:
            raise RowError(column, _("不能为空"))
        grid = self.grids.get(code)
        if grid is None:
            if code in self.all_grid_codes:
                raise RowError(column, _("网格 %(code)s 已撤销或不在您的管辖范围内") % {"code": code})
            raise RowError(column, _("网格编码 %(code)s 不存在") % {"code": code})
        return grid[0]

    def cell(self, cells: list[str], key: str) -> str:
        index = self.header_map.get(key)
        if index is None or index >= len(cells):
            return ""
        return cells[index]

    def clean(self, cells: list[str]) -> dict:
        raise NotImplementedError

    def key(self, row: dict):
        raise NotImplementedError

    def existing(self, keys: list) -> dict:
        """{natural key: (pk, {field: value})} for rows already stored."""
        raise NotImplementedError

    def prepare_batch(
        self, rows: list[tuple[int, dict]], errors: list[ImportError_]
    ) -> list[tuple[int, dict]]:
        """A hook for checks that need the whole batch (residents look their households up here)."""
        return rows

    def comparable(self, row: dict) -> dict:
        """The values that decide "unchanged": sealed values are compared through their blind index."""
        return {f: row[f] for f in self.fields if not f.endswith("_sealed")}


def _values_with_key(qs, key_fields, fields):
    return qs.values_list("id", *key_fields, *[f for f in fields if not f.endswith("_sealed")])


LOCATION_FIELDS = ("longitude", "latitude", "location_source", "location_at")
LOCATION_HEADERS = {"longitude": "经度", "latitude": "纬度"}


class LocatedImporter(Importer):
    """Households and places, whose ledgers may carry 经度/纬度. A file without those columns leaves stored
    positions alone; a row with both blank keeps the stored position (one a visit captured, say); a new pair
    replaces it (source: import); the same pair keeps its source and time, so a re-import stays "unchanged"."""

    def __init__(self, *, actor, header_map: dict[str, int]):
        super().__init__(actor=actor, header_map=header_map)
        self.located = "longitude" in header_map or "latitude" in header_map
        if self.located:
            self.fields = (*type(self).fields, *LOCATION_FIELDS)
        self.started = timezone.now()

    def clean_location(self, cells: list[str], row: dict) -> None:
        if not self.located:
            return
        values = {}
        for key, header in LOCATION_HEADERS.items():
            try:
                values[key] = parse_coordinate(self.cell(cells, key), header)
            except ValueError as exc:
                raise RowError(header, str(exc)) from exc
        for key, message in location_errors(values["longitude"], values["latitude"]).items():
            raise RowError(LOCATION_HEADERS[key], message)
        located = values["longitude"] is not None
        row.update(
            values,
            location_source=LocationSource.IMPORT if located else "",
            location_at=self.started if located else None,
        )

    def prepare_batch(self, rows, errors):
        if not self.located or not rows:
            return rows
        stored = self.existing([self.key(row) for _n, row in rows])
        for _n, row in rows:
            found = stored.get(self.key(row))
            if found is None:
                continue
            values = found[1]
            blank = row["longitude"] is None
            same = row["longitude"] == values["longitude"] and row["latitude"] == values["latitude"]
            if blank or same:
                row.update({f: values[f] for f in LOCATION_FIELDS})
        return rows


class HouseholdImporter(LocatedImporter):
    key_fields = ("code",)
    kind = "households"
    model = Household
    fields = (
        "grid_id",
        "address",
        "head_name",
        "head_id_sealed",
        "head_id_index",
        "head_id_masked",
        "phone_sealed",
        "phone_index",
        "phone_masked",
        "members",
        "tags",
    )

    def clean(self, cells):
        row = {"code": text(self.cell(cells, "code"), "户编号", required=True, max_length=32)}
        row["grid_id"] = self.grid_id(self.cell(cells, "grid"))
        row["address"] = text(self.cell(cells, "address"), "地址", required=True)
        row["head_name"] = text(self.cell(cells, "head_name"), "户主姓名", required=True, max_length=50)
        head_id = self.cell(cells, "head_id")
        if head_id.strip():
            _parsed, row["head_id_sealed"], row["head_id_index"], row["head_id_masked"] = resident_id(
                head_id, "户主身份证号", today=self.today
            )
        else:
            row["head_id_sealed"] = row["head_id_index"] = row["head_id_masked"] = ""
        row["phone_sealed"], row["phone_index"], row["phone_masked"] = sealed_number(
            self.cell(cells, "phone"), "phone", "联系电话"
        )
        members = self.cell(cells, "members").strip() or "1"
        if not members.isdigit() or not 1 <= int(members) <= 99:
            raise RowError("人口数", _("应为 1–99 的整数"))
        row["members"] = int(members)
        row["tags"] = parse_tags(self.cell(cells, "tags"))
        self.clean_location(cells, row)
        return row

    def key(self, row):
        return row["code"]

    def existing(self, keys):
        rows = _values_with_key(Household.objects.filter(code__in=keys), ["code"], self.fields)
        names = [f for f in self.fields if not f.endswith("_sealed")]
        return {r[1]: (r[0], dict(zip(names, r[2:], strict=True))) for r in rows}


class ResidentImporter(Importer):
    """The largest ledger (about 3.3 residents a household), so its rows travel light: a cleaned row is the tuple
    ``(household code, values)``, ``values`` in ``VALUES`` order, which is the insert's column order; batches are
    looked up and written with hand-written statements. The other ledgers go through dicts."""

    key_fields = ("id_index",)
    kind = "residents"
    model = Resident
    fields = (
        "household_id",
        "name",
        "id_sealed",
        "id_masked",
        "gender",
        "birth_date",
        "phone_sealed",
        "phone_index",
        "phone_masked",
        "relation",
        "tags",
    )
    #: a cleaned row's values in the insert's order (then the model's defaults, the household and the times)
    VALUES = (
        "name",
        "id_sealed",
        "id_index",
        "id_masked",
        "gender",
        "birth_date",
        "phone_sealed",
        "phone_index",
        "phone_masked",
        "relation",
        "tags",
    )
    KEY = VALUES.index("id_index")
    #: what decides "unchanged" on re-import (sealed values are compared through their blind index)
    COMPARED = tuple(f for f in fields if not f.endswith("_sealed"))
    CELLS = ("household", "name", "id_number", "phone", "relation", "tags")

    def __init__(self, *, actor, header_map: dict[str, int]):
        super().__init__(actor=actor, header_map=header_map)
        # The cells a row needs, picked at once; a column the file lacks reads the blank cell appended last.
        self._pick = operator.itemgetter(*(header_map.get(key, -1) for key in self.CELLS))
        self._blank = [""] * (max(header_map.values(), default=0) + 2)
        self._seal, self._id_index, self._phone_index = sealer(), indexer("ric"), indexer("phone")
        self._compared = operator.itemgetter(*(self.VALUES.index(f) for f in self.COMPARED[1:]))
        self._updated = operator.itemgetter(*(i for i, f in enumerate(self.VALUES) if f != "id_index"))
        model_fields = {f.attname: f for f in Resident._meta.concrete_fields if not f.primary_key}
        written = (*self.VALUES, "household_id", "created_at", "updated_at")
        others = [name for name in model_fields if name not in written]
        self._defaults = tuple(model_fields[name].get_default() for name in others)
        quote = connection.ops.quote_name
        table = quote(Resident._meta.db_table)
        columns = (*self.VALUES, *others, *written[-3:])
        self._insert_sql = "INSERT INTO {} ({}) VALUES ({})".format(
            table, ", ".join(map(quote, columns)), ", ".join(["%s"] * len(columns))
        )
        assigned = [f for f in self.VALUES if f != "id_index"] + ["household_id", "updated_at"]
        self._update_sql = "UPDATE {} SET {} WHERE id = %s".format(
            table, ", ".join(f"{quote(f)} = %s" for f in assigned)
        )
        self._select_sql = "SELECT id, id_index, {} FROM {} WHERE id_index IN ({{}})".format(
            ", ".join(map(quote, self.COMPARED)), table
        )

    def clean(self, cells):
        code, name, number, phone, relation, tags = self._pick(cells + self._blank)
        code = text(code, "户编号", required=True, max_length=32)
        name = text(name, "姓名", required=True, max_length=50)
        try:
            parsed = parse_resident_id(number, today=self.today)
        except IdentityError as exc:
            raise RowError("身份证号", str(exc)) from exc
        number = parsed.number
        phone = phone.strip()
        if phone:
            try:
                phone, masked = _phone(phone)
            except IdentityError as exc:
                raise RowError("联系电话", str(exc)) from exc
            sealed, index = self._seal(phone), self._phone_index(phone)
        else:
            sealed = index = masked = ""
        return code, (
            name,
            self._seal(number),
            self._id_index(number),
            mask_resident_id(number),
            parsed.gender,
            parsed.birth_date.isoformat(),
            sealed,
            index,
            masked,
            text(relation, "与户主关系", max_length=20),
            parse_tags(tags),
        )

    def key(self, row):
        return row[1][self.KEY]

    def prepare_batch(self, rows, errors):
        """Each row's household by its code (one query a batch), in the importer's scope; rows become
        ``(household id, values)``."""
        codes = list({row[0] for _n, row in rows})
        table = connection.ops.quote_name(Household._meta.db_table)
        if self.scope is None:
            households = dict(_select_in(f"SELECT code, id FROM {table} WHERE code IN ({{}})", codes))
        else:  # only households whose grid lies in the importer's scope
            regions = connection.ops.quote_name(Region._meta.db_table)
            sql = f"SELECT h.code, h.id, g.path FROM {table} h JOIN {regions} g ON g.id = h.grid_id WHERE h.code IN ({{}})"
            covered = {}
            households = {}
            for code, pk, path in _select_in(sql, codes):
                if path not in covered:
                    covered[path] = self.scope.covers_path(path, IMPORT_ROLES)
                if covered[path]:
                    households[code] = pk
        kept = []
        for number, (code, values) in rows:
            household = households.get(code)
            if household is None:
                errors.append(
                    ImportError_(number, "户编号", code, _("户编号不存在或不在您的管辖范围内，请先导入户"))
                )
                continue
            kept.append((number, (household, values)))
        return kept

    def existing(self, keys):
        """{ID blind index: (pk, the COMPARED values)} for residents already stored."""
        found = {}
        for row in _select_in(self._select_sql, keys):
            stored = list(row[2:])
            stored[4] = str(stored[4])  # the birth date, compared as the ISO text a cleaned row carries
            found[row[1]] = (row[0], tuple(stored))
        return found

    def write_batch(self, batch, report: ImportReport) -> None:
        stored = self.existing([values[self.KEY] for _n, (_household, values) in batch])
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        key, defaults, compared, updated = self.KEY, self._defaults, self._compared, self._updated
        inserts, updates = [], []
        for _n, (household, values) in batch:
            found = stored.get(values[key])
            if found is None:
                inserts.append((*values, *defaults, household, now, now))
            elif found[1] == (household, *compared(values)):
                report.unchanged += 1
            else:
                updates.append((*updated(values), household, now, found[0]))
        with transaction.atomic(), connection.cursor() as cursor:
            if inserts:
                cursor.executemany(self._insert_sql, inserts)
            if updates:
                cursor.executemany(self._update_sql, updates)
        report.created += len(inserts)
        report.updated += len(updates)


class PlaceImporter(LocatedImporter):
    kind = "places"
    model = Place
    fields = (
        "kind",
        "industry",
        "name",
        "credit_code",
        "grid_id",
        "address",
        "person_in_charge",
        "phone_sealed",
        "phone_index",
        "phone_masked",
        "risk_level",
        "sells_fireworks",
        "registration_status",
        "tags",
    )

    def clean(self, cells):
        row = {"name": text(self.cell(cells, "name"), "名称", required=True, max_length=100)}
        row["kind"] = parse_choice(self.cell(cells, "kind"), Place.Kind.choices, "类型")
        industry = self.cell(cells, "industry")
        row["industry"] = parse_choice(industry, Place.Industry.choices, "行业") if industry.strip() else ""
        if row["kind"] == Place.Kind.KEY_ENTERPRISE and not row["industry"]:
            raise RowError("行业", _("重点企业须填写行业"))
        code = self.cell(cells, "credit_code")
        try:
            row["credit_code"] = validate_uscc(code) if code.strip() else ""
        except IdentityError as exc:
            raise RowError("统一社会信用代码", str(exc)) from exc
        row["grid_id"] = self.grid_id(self.cell(cells, "grid"))
        row["address"] = text(self.cell(cells, "address"), "地址", required=True)
        row["person_in_charge"] = text(self.cell(cells, "person_in_charge"), "负责人", max_length=50)
        row["phone_sealed"], row["phone_index"], row["phone_masked"] = sealed_number(
            self.cell(cells, "phone"), "phone", "联系电话"
        )
        row["risk_level"] = parse_choice(
            self.cell(cells, "risk_level"), Place.Risk.choices, "风险等级", default="low"
        )
        row["sells_fireworks"] = parse_bool(self.cell(cells, "sells_fireworks"), "销售烟花爆竹")
        row["registration_status"] = parse_choice(
            self.cell(cells, "registration_status"),
            Place.Registration.choices,
            "排查登记状态",
            default="unchecked",
        )
        row["tags"] = parse_tags(self.cell(cells, "tags"))
        self.clean_location(cells, row)
        return row

    def key(self, row):
        return ("uscc", row["credit_code"]) if row["credit_code"] else ("name", row["name"], row["address"])

    def existing(self, keys):
        codes = [k[1] for k in keys if k[0] == "uscc"]
        names = {k[1] for k in keys if k[0] == "name"}
        fields = [f for f in self.fields if not f.endswith("_sealed")]
        found = {}
        if codes:
            for r in Place.objects.filter(credit_code__in=codes).values_list("id", *fields):
                values = dict(zip(fields, r[1:], strict=True))
                found[("uscc", values["credit_code"])] = (r[0], values)
        if names:
            for r in Place.objects.filter(name__in=names, credit_code="").values_list("id", *fields):
                values = dict(zip(fields, r[1:], strict=True))
                found[("name", values["name"], values["address"])] = (r[0], values)
        return found


class LicenceImporter(Importer):
    key_fields = ("kind", "number")
    kind = "licences"
    model = Licence
    fields = (
        "place_id",
        "holder_name",
        "grid_id",
        "issuing_authority",
        "valid_from",
        "valid_to",
        "product_types",
        "max_storage",
        "consignor",
        "carrier",
        "origin",
        "destination",
        "route",
        "quantity",
    )

    def clean(self, cells):
        row = {"kind": parse_choice(self.cell(cells, "kind"), Licence.Kind.choices, "许可证种类")}
        row["number"] = text(self.cell(cells, "number"), "证号", required=True, max_length=64)
        row["holder_name"] = text(self.cell(cells, "holder_name"), "持证单位", required=True, max_length=100)
        code = self.cell(cells, "credit_code").strip()
        try:
            row["credit_code"] = validate_uscc(code) if code else ""
        except IdentityError as exc:
            raise RowError("统一社会信用代码", str(exc)) from exc
        row["grid_code"] = self.cell(cells, "grid").strip()
        if not row["credit_code"] and not row["grid_code"]:
            raise RowError("网格编码", _("未填统一社会信用代码时须填写网格编码"))
        row["issuing_authority"] = text(
            self.cell(cells, "issuing_authority"), "发证机关", required=True, max_length=100
        )
        row["valid_from"] = parse_date(self.cell(cells, "valid_from"), "有效期起")
        row["valid_to"] = parse_date(self.cell(cells, "valid_to"), "有效期止")
        if row["valid_to"] < row["valid_from"]:
            raise RowError("有效期止", _("有效期止不能早于有效期起"))
        for key, header, limit in (
            ("product_types", "品种", 200),
            ("max_storage", "最大存储量", 50),
            ("consignor", "托运人", 100),
            ("carrier", "承运人", 100),
            ("origin", "起运地", 100),
            ("destination", "目的地", 100),
            ("route", "运输路线", 200),
            ("quantity", "运输数量", 50),
        ):
            row[key] = text(self.cell(cells, key), header, max_length=limit)
        return row

    def key(self, row):
        return (row["kind"], row["number"])

    def prepare_batch(self, rows, errors):
        """Links each licence to its place by credit code (one query a batch) and settles its grid."""
        codes = {row["credit_code"] for _n, row in rows if row["credit_code"]}
        places = {
            code: (pk, grid_code)
            for pk, code, grid_code in Place.objects.filter(credit_code__in=codes).values_list(
                "id", "credit_code", "grid__code"
            )
        }
        kept = []
        for number, row in rows:
            place = places.get(row["credit_code"]) if row["credit_code"] else None
            if row["credit_code"] and place is None:
                errors.append(
                    ImportError_(
                        number,
                        "统一社会信用代码",
                        row["credit_code"],
                        _("未找到该信用代码的场所，请先导入场所"),
                    )
                )
                continue
            row["place_id"] = place[0] if place else None
            try:
                row["grid_id"] = self.grid_id(row["grid_code"] or place[1])
            except RowError as exc:
                errors.append(ImportError_(number, exc.column, row["grid_code"], exc.reason))
                continue
            kept.append((number, row))
        return kept

    def existing(self, keys):
        numbers = {k[1] for k in keys}
        fields = list(self.fields)
        found = {}
        for r in Licence.objects.filter(number__in=numbers).values_list("id", "kind", "number", *fields):
            found[(r[1], r[2])] = (r[0], dict(zip(fields, r[3:], strict=True)))
        return found


IMPORTERS: dict[str, type[Importer]] = {
    cls.kind: cls for cls in (HouseholdImporter, ResidentImporter, PlaceImporter, LicenceImporter)
}


# --- the run --------------------------------------------------------------------------------------------------


def map_headers(kind: str, headers: list[str]) -> dict[str, int]:
    """Column key → index, by Chinese header or English alias. Raises InvalidInput naming missing columns."""
    columns: list[Column] = COLUMNS[kind]
    normalised = [h.strip().lstrip("\ufeff").lower() for h in headers]
    mapping: dict[str, int] = {}
    for column in columns:
        names = {column.header.lower(), *(a.lower() for a in column.aliases)}
        for index, header in enumerate(normalised):
            if header in names:
                mapping[column.key] = index
                break
    missing = [c.header for c in columns if c.required and c.key not in mapping]
    # 网格编码 is optional for licences only when a credit code links a place
    if missing:
        raise InvalidInput(
            _("缺少必需的列：%(columns)s") % {"columns": "、".join(missing)},
            fields={"file": [_("缺少必需的列：%(columns)s") % {"columns": "、".join(missing)}]},
        )
    return mapping


def _select_in(sql: str, values: list) -> list[tuple]:
    """Rows of ``sql`` whose ``IN ({})`` takes ``values``, in statements of at most 1,000 parameters."""
    rows = []
    with connection.cursor() as cursor:
        for start in range(0, len(values), 1000):
            part = values[start : start + 1000]
            cursor.execute(sql.format(", ".join(["%s"] * len(part))), part)
            rows.extend(cursor.fetchall())
    return rows


def _picker(names, model=None):
    """A function giving the values of ``names`` from a row dict, as a tuple. With ``model``, date-time values are
    adapted as the ORM stores them (the raw cursor would otherwise write SQLite's own "+00:00" form, which sorts
    and compares differently from the ORM's rows)."""
    pick = (lambda row: (row[names[0]],)) if len(names) == 1 else operator.itemgetter(*names)
    stamped = [] if model is None else [i for i, name in enumerate(names) if _is_datetime(model, name)]
    if not stamped:
        return pick
    adapt = connection.ops.adapt_datetimefield_value

    def pick_adapted(row):
        values = list(pick(row))
        for i in stamped:
            values[i] = adapt(values[i])
        return tuple(values)

    return pick_adapted


def _is_datetime(model, name: str) -> bool:
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:  # not a field of the model: leave the value as it is
        return False
    return field.get_internal_type() == "DateTimeField"


def _insert(model, fields: tuple[str, ...], rows: Iterable[dict], now) -> None:
    """INSERT through executemany; columns the row does not carry get the model's defaults."""
    carried, others, defaults = [], [], []
    for model_field in model._meta.concrete_fields:
        if model_field.primary_key or model_field.attname in ("created_at", "updated_at"):
            continue
        if model_field.attname in fields:
            carried.append(model_field.attname)
        else:
            others.append(model_field.attname)
            defaults.append(model_field.get_default())
    stamps = [f.attname for f in model._meta.concrete_fields if f.attname in ("created_at", "updated_at")]
    now = connection.ops.adapt_datetimefield_value(now)
    tail = (*defaults, *[now] * len(stamps))
    columns = [*carried, *others, *stamps]
    table = connection.ops.quote_name(model._meta.db_table)
    sql = "INSERT INTO {} ({}) VALUES ({})".format(
        table, ", ".join(connection.ops.quote_name(c) for c in columns), ", ".join(["%s"] * len(columns))
    )
    pick = _picker(carried, model)
    params = [(*pick(row), *tail) for row in rows]
    if params:
        with connection.cursor() as cursor:
            cursor.executemany(sql, params)


def _update(model, fields: tuple[str, ...], rows: list[tuple[int, dict]], now) -> None:
    table = connection.ops.quote_name(model._meta.db_table)
    assignments = ", ".join(f"{connection.ops.quote_name(f)} = %s" for f in (*fields, "updated_at"))
    sql = f"UPDATE {table} SET {assignments} WHERE id = %s"
    now = connection.ops.adapt_datetimefield_value(now)
    pick = _picker(fields, model)
    params = [(*pick(row), now, pk) for pk, row in rows]
    if params:
        with connection.cursor() as cursor:
            cursor.executemany(sql, params)


def _write_batch(importer: Importer, batch: list[tuple[int, dict]], report: ImportReport) -> None:
    write = getattr(importer, "write_batch", None)
    if write is not None:  # an importer with rows of its own shape (residents)
        write(batch, report)
        return
    keys = [importer.key(row) for _n, row in batch]
    existing = importer.existing(keys)
    insert_fields = (*importer.key_fields, *importer.fields)
    to_insert, to_update = [], []
    for (_number, row), key in zip(batch, keys, strict=True):
        found = existing.get(key)
        if found is None:
            to_insert.append(row)
            continue
        pk, stored = found
        if all(stored[f] == value for f, value in importer.comparable(row).items() if f in stored):
            report.unchanged += 1
        else:
            to_update.append((pk, row))
    now = timezone.now()
    with transaction.atomic():
        _insert(importer.model, insert_fields, to_insert, now)
        _update(importer.model, importer.fields, to_update, now)
    report.created += len(to_insert)
    report.updated += len(to_update)


def registry_import(
    *,
    actor,
    kind: str,
    table: Table,
    progress: Callable[[ImportReport], None] | None = None,
) -> ImportReport:
    """Imports ``table`` as ledger ``kind``. Good rows are stored batch by batch, bad rows reported."""
    if kind not in IMPORTERS:
        raise InvalidInput(_("未知的台账类别：%(kind)s") % {"kind": kind})
    # Ledgers are Chinese whatever the user's interface language: choices are matched by their Chinese labels.
    with translation.override("zh-hans"):
        return _registry_import(actor=actor, kind=kind, table=table, progress=progress)


def _registry_import(*, actor, kind, table, progress) -> ImportReport:
    if actor is not None and not scope_for(actor).has_role(*IMPORT_ROLES):
        raise NotAllowed()
    importer = IMPORTERS[kind](actor=actor, header_map=map_headers(kind, table.headers))
    importer.load_grids()
    report = ImportReport(kind=kind, total=table.total or 0)
    seen: dict[object, int] = {}
    batch: list[tuple[int, object]] = []

    def flush():
        nonlocal batch
        batch_errors: list[ImportError_] = []
        kept = importer.prepare_batch(batch, batch_errors)
        for error in batch_errors:  # counted and capped like every other rejection
            _reject(report, error.row, error.column, error.value, error.reason)
        if kept:
            _write_batch(importer, kept, report)
        batch = []
        if progress:
            progress(report)

    with contextlib.closing(_cleaned(importer, table)) as chunks:  # closed at once if a write fails
        for chunk in chunks:
            for number, key, row, error in chunk:
                if error is not None:
                    _reject(report, number, *error)
                    continue
                first = seen.setdefault(key, number)
                if first != number:
                    _reject(report, number, "", "", _("与第 %(other)d 行重复") % {"other": first})
                    continue
                batch.append((number, row))
                if len(batch) >= BATCH_SIZE:
                    flush()
    flush()
    report.total = max(report.total, report.processed)
    return report


# --- cleaning rows, here or in worker processes -------------------------------------------------------------
#
# Checking and sealing a row (ID checksum and date, phone, AES-GCM, HMAC) is most of an import's CPU time besides
# the writes, and it needs no database. A large import forks worker processes once the file is open: each reads
# the rows itself (the file's text or workbook is already in memory, and the fork copies it), cleans every
# ``workers``-th chunk of CLEAN_CHUNK rows and sends the results back through its own pipe, pickled in one piece a
# chunk, with the key each row is stored under; this process takes the chunks in turn, so rows arrive in file
# order, and only looks up, decides and writes. A worker waits in its send until this process takes the chunk,
# so at most one finished chunk a worker waits in memory. The workers never touch the database; the connections
# they inherit are left alone and vanish with them (multiprocessing ends a worker with os._exit). A worker that
# dies ends its pipe, one that fails sends its traceback: either stops the import with WorkerFailed.

CLEAN_CHUNK = 1000
#: seconds the importing process waits for a worker's next chunk (a few tenths of a second normally) before it
#: gives the worker up as hung
WORKER_TIMEOUT = 300


class WorkerFailed(RuntimeError):
    """A worker process died or failed while cleaning rows: the import stops. Batches written before stay whole
    (each is its own transaction), and importing the same file again completes the import."""


def import_workers(total: int) -> int:
    """How many worker processes clean an import of ``total`` rows: none below GRIDGOV_IMPORT_PARALLEL_MIN_ROWS,
    none where processes cannot be forked (or this process is a daemonic one, which may have no children), else
    GRIDGOV_IMPORT_WORKERS."""
    workers = getattr(settings, "GRIDGOV_IMPORT_WORKERS", 0)
    if workers < 1 or total < getattr(settings, "GRIDGOV_IMPORT_PARALLEL_MIN_ROWS", 20_000):
        return 0
    if "fork" not in multiprocessing.get_all_start_methods() or multiprocessing.current_process().daemon:
        return 0
    return workers


def _clean_one(importer: Importer, number: int, cells: list[str]):
    """(row number, key, cleaned row, None), or (row number, None, None, (column, value, reason))."""
    try:
        row = importer.clean(cells)
    except RowError as exc:
        return number, None, None, (exc.column, _raw_value(importer, cells, exc.column), exc.reason)
    return number, importer.key(row), row, None


def _clean_chunk(importer: Importer, chunk: list[tuple[int, list[str]]]) -> list[tuple]:
    return [_clean_one(importer, number, cells) for number, cells in chunk]


def _chunks(rows):
    return iter(lambda: list(itertools.islice(rows, CLEAN_CHUNK)), [])


def _cleaned(importer: Importer, table: Table):
    """Lists of ``_clean_one`` results, a chunk at a time, in file order."""
    workers = import_workers(table.total or 0)
    if not workers:
        for chunk in _chunks(table.rows):
            yield _clean_chunk(importer, chunk)
        return
    yield from _cleaned_in_workers(importer, table, workers)


def _clean_part(importer: Importer, rows, part: int, parts: int, pipe, language: str) -> None:
    """A worker: cleans chunks ``part``, ``part + parts`` … of ``rows`` and sends each (pickled) through ``pipe``,
    then None; a failure is sent as its traceback's text instead."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # whatever the importing process does on SIGTERM
    try:
        with translation.override(language):
            for index, chunk in enumerate(_chunks(rows)):
                if index % parts == part:
                    pipe.send_bytes(pickle.dumps(_clean_chunk(importer, chunk), pickle.HIGHEST_PROTOCOL))
        pipe.send_bytes(pickle.dumps(None))
    except BrokenPipeError:  # the importing process stopped reading: it has given up on the import
        pass
    except BaseException:
        with contextlib.suppress(OSError):
            pipe.send_bytes(pickle.dumps(traceback.format_exc()))
        sys.exit(1)  # the importing process reports it


def _cleaned_in_workers(importer: Importer, table: Table, workers: int):
    context = multiprocessing.get_context("fork")
    language = translation.get_language()
    processes, pipes = [], []
    finished = False
    # What exists now is shared with the workers until either side writes to its page; the garbage collector
    # would write to every object it scans, making both sides copy most of the heap page by page.
    gc.freeze()
    try:
        for part in range(workers):
            receiver, sender = context.Pipe(duplex=False)
            process = context.Process(
                target=_clean_part,
                args=(importer, table.rows, part, workers, sender, language),
                name=f"gridgov-import-{part + 1}",
                daemon=True,
            )
            process.start()
            sender.close()  # the worker's end: closed here, the pipe ends (EOFError) if the worker dies
            processes.append(process)
            pipes.append(receiver)
        for index in itertools.count():
            part = index % workers
            if not pipes[part].poll(WORKER_TIMEOUT):
                raise WorkerFailed(
                    _(
                        "校验进程 %(n)d 超过 %(s)d 秒没有响应，导入已中止；已写入的批次已保存，重新导入同一文件即可完成"
                    )
                    % {"n": part + 1, "s": WORKER_TIMEOUT}
                )
            try:
                message = pipes[part].recv_bytes()
            except EOFError:
                processes[part].join(5)
                raise WorkerFailed(
                    _(
                        "校验进程 %(n)d 意外退出（退出码 %(code)s），导入已中止；已写入的批次已保存，重新导入同一文件即可完成"
                    )
                    % {"n": part + 1, "code": processes[part].exitcode}
                ) from None
            chunk = pickle.loads(message)
            if chunk is None:  # that worker found no more rows, so there are none
                break
            if isinstance(chunk, str):
                raise WorkerFailed(
                    _(
                        "校验进程 %(n)d 出错，导入已中止；已写入的批次已保存，重新导入同一文件即可完成：%(error)s"
                    )
                    % {"n": part + 1, "error": chunk}
                )
            yield chunk
        finished = True
    finally:
        for pipe in pipes:  # a worker still sending gets BrokenPipeError and ends
            pipe.close()
        for process in processes:
            process.join(10 if finished else 0.1)
            if process.is_alive():
                process.terminate()
                process.join(5)
            if process.is_alive():
                process.kill()
                process.join()
        gc.unfreeze()


def _reject(report: ImportReport, number: int, column: str, value: str, reason: str) -> None:
    report.rejected += 1
    if len(report.errors) < MAX_REPORTED_ERRORS:
        report.errors.append(ImportError_(number, column, value, reason))


def _raw_value(importer: Importer, cells: list[str], header: str) -> str:
    for column in COLUMNS[importer.kind]:
        if column.header == header:
            return importer.cell(cells, column.key)[:100]
    return ""
