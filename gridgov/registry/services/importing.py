"""Importing ledgers from spreadsheets: validate every row, store the good ones, report the bad ones.

Rows are processed in batches, each in its own transaction, and written by natural key (household code, the ID's
blind index, the credit code or name + address, licence kind + number). A second run of the same file therefore
changes nothing, and a run interrupted halfway can simply be started again.

Inserts and updates go through the connection's ``executemany`` rather than ``bulk_create``: on this hardware the
ORM spends most of a bulk insert building SQL, and imports are the platform's hottest write path.
"""

import datetime as dt
import itertools
import multiprocessing
import re
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from gridgov.core.crypto import blind_index, seal
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
from gridgov.registry.models import Household, Licence, Place, Resident, tags_to_text
from gridgov.registry.readers import Table
from gridgov.territory.models import Level, Region

BATCH_SIZE = 2000
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
    return tags_to_text(TAG_SPLIT.split(value or ""))


def sealed_number(value: str, purpose: str, column: str):
    """(sealed, index, masked) for a phone; empty stays empty."""
    if not value.strip():
        return "", "", ""
    try:
        phone = normalize_phone(value)
    except IdentityError as exc:
        raise RowError(column, str(exc)) from exc
    return seal(phone), blind_index(purpose, phone), mask_phone(phone)


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


class HouseholdImporter(Importer):
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
        return row

    def key(self, row):
        return row["code"]

    def existing(self, keys):
        rows = _values_with_key(Household.objects.filter(code__in=keys), ["code"], self.fields)
        names = [f for f in self.fields if not f.endswith("_sealed")]
        return {r[1]: (r[0], dict(zip(names, r[2:], strict=True))) for r in rows}


class ResidentImporter(Importer):
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

    def clean(self, cells):
        row = {"household_code": text(self.cell(cells, "household"), "户编号", required=True, max_length=32)}
        row["name"] = text(self.cell(cells, "name"), "姓名", required=True, max_length=50)
        parsed, row["id_sealed"], row["id_index"], row["id_masked"] = resident_id(
            self.cell(cells, "id_number"), "身份证号", today=self.today
        )
        row["gender"], row["birth_date"] = parsed.gender, parsed.birth_date
        row["phone_sealed"], row["phone_index"], row["phone_masked"] = sealed_number(
            self.cell(cells, "phone"), "phone", "联系电话"
        )
        row["relation"] = text(self.cell(cells, "relation"), "与户主关系", max_length=20)
        row["tags"] = parse_tags(self.cell(cells, "tags"))
        return row

    def key(self, row):
        return row["id_index"]

    def prepare_batch(self, rows, errors):
        codes = {row["household_code"] for _n, row in rows}
        households = {
            code: (pk, path)
            for pk, code, path in Household.objects.filter(code__in=codes).values_list(
                "id", "code", "grid__path"
            )
        }
        kept = []
        for number, row in rows:
            household = households.get(row["household_code"])
            if household is None or (
                self.scope is not None and not self.scope.covers_path(household[1], IMPORT_ROLES)
            ):
                errors.append(
                    ImportError_(
                        number,
                        "户编号",
                        row["household_code"],
                        _("户编号不存在或不在您的管辖范围内，请先导入户"),
                    )
                )
                continue
            row["household_id"] = household[0]
            kept.append((number, row))
        return kept

    def existing(self, keys):
        rows = _values_with_key(Resident.objects.filter(id_index__in=keys), ["id_index"], self.fields)
        names = [f for f in self.fields if not f.endswith("_sealed")]
        return {r[1]: (r[0], dict(zip(names, r[2:], strict=True))) for r in rows}


class PlaceImporter(Importer):
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


def _insert(model, fields: tuple[str, ...], rows: Iterable[dict], now) -> None:
    """INSERT through executemany; columns the row does not carry get the model's defaults."""
    columns, defaults = [], {}
    for model_field in model._meta.concrete_fields:
        if model_field.primary_key:
            continue
        columns.append(model_field.attname)
        if model_field.attname in ("created_at", "updated_at"):
            defaults[model_field.attname] = now
        elif model_field.attname not in fields:
            defaults[model_field.attname] = model_field.get_default()
    table = connection.ops.quote_name(model._meta.db_table)
    sql = "INSERT INTO {} ({}) VALUES ({})".format(
        table, ", ".join(connection.ops.quote_name(c) for c in columns), ", ".join(["%s"] * len(columns))
    )
    params = [[row[c] if c in fields else defaults[c] for c in columns] for row in rows]
    if params:
        with connection.cursor() as cursor:
            cursor.executemany(sql, params)


def _update(model, fields: tuple[str, ...], rows: list[tuple[int, dict]], now) -> None:
    table = connection.ops.quote_name(model._meta.db_table)
    assignments = ", ".join(f"{connection.ops.quote_name(f)} = %s" for f in (*fields, "updated_at"))
    sql = f"UPDATE {table} SET {assignments} WHERE id = %s"
    params = [[row[f] for f in fields] + [now, pk] for pk, row in rows]
    if params:
        with connection.cursor() as cursor:
            cursor.executemany(sql, params)


def _write_batch(importer: Importer, batch: list[tuple[int, dict]], report: ImportReport) -> None:
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
    batch: list[tuple[int, dict]] = []

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

    for number, row, error in _cleaned(importer, table):
        if error is not None:
            _reject(report, number, *error)
            continue
        key = importer.key(row)
        if key in seen:
            _reject(report, number, "", "", _("与第 %(other)d 行重复") % {"other": seen[key]})
            continue
        seen[key] = number
        batch.append((number, row))
        if len(batch) >= BATCH_SIZE:
            flush()
    flush()
    report.total = max(report.total, report.processed)
    return report


# --- cleaning rows, here or in worker processes -------------------------------------------------------------
#
# Checking and sealing a row (ID checksum and date, phone, AES-GCM, HMAC) is most of an import's time, and it
# needs no database. A large import hands chunks of rows to worker processes forked from this one (they inherit
# the importer, its grid table, the settings and the active language), while this process reads the file and
# writes the batches: on two cores, about 1.7 times the rows a second. The workers never touch the database; the
# connections they inherit are left alone and vanish with them (multiprocessing ends a worker with os._exit).

CLEAN_CHUNK = 1000
_worker_importer: Importer | None = None  # set in this process just before the workers are forked
_worker_language = "zh-hans"


def import_workers(total: int) -> int:
    """How many worker processes clean an import of ``total`` rows: none below GRIDGOV_IMPORT_PARALLEL_MIN_ROWS,
    none where processes cannot be forked, else GRIDGOV_IMPORT_WORKERS."""
    workers = getattr(settings, "GRIDGOV_IMPORT_WORKERS", 0)
    if workers < 1 or total < getattr(settings, "GRIDGOV_IMPORT_PARALLEL_MIN_ROWS", 20_000):
        return 0
    if "fork" not in multiprocessing.get_all_start_methods():
        return 0
    return workers


def _clean_one(importer: Importer, number: int, cells: list[str]):
    try:
        return number, importer.clean(cells), None
    except RowError as exc:
        return number, None, (exc.column, _raw_value(importer, cells, exc.column), exc.reason)


def _clean_chunk(chunk: list[tuple[int, list[str]]]) -> list[tuple]:
    """Runs in a worker process."""
    importer = _worker_importer
    with translation.override(_worker_language):
        return [_clean_one(importer, number, cells) for number, cells in chunk]


def _cleaned(importer: Importer, table: Table):
    """(row number, cleaned row or None, (column, value, reason) or None) for each row, in file order."""
    workers = import_workers(table.total or 0)
    if not workers:
        for number, cells in table.rows:
            yield _clean_one(importer, number, cells)
        return
    global _worker_importer, _worker_language
    _worker_importer, _worker_language = importer, translation.get_language()
    chunks = iter(lambda: list(itertools.islice(table.rows, CLEAN_CHUNK)), [])
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork"))
    try:
        # Two chunks in flight per worker: one being cleaned, one waiting, while this process writes.
        pending = deque(pool.submit(_clean_chunk, chunk) for chunk in itertools.islice(chunks, 2 * workers))
        _worker_importer = None  # the workers have their copy
        while pending:
            done = pending.popleft().result()
            chunk = next(chunks, None)
            if chunk:
                pending.append(pool.submit(_clean_chunk, chunk))
            yield from done
    finally:
        _worker_importer = None
        pool.shutdown(wait=True, cancel_futures=True)


def _reject(report: ImportReport, number: int, column: str, value: str, reason: str) -> None:
    report.rejected += 1
    if len(report.errors) < MAX_REPORTED_ERRORS:
        report.errors.append(ImportError_(number, column, value, reason))


def _raw_value(importer: Importer, cells: list[str], header: str) -> str:
    for column in COLUMNS[importer.kind]:
        if column.header == header:
            return importer.cell(cells, column.key)[:100]
    return ""
