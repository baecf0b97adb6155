"""Writes to the grid: importing divisions, managing grids, departments and grants.

``actor=None`` is the system itself (management commands run by the operator, the demo loader): it is
audited as such and passes the policy checks that a signed-in user must pass.
"""

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.core.audit import audit_record
from gridgov.core.exceptions import Conflict, InvalidInput, NotAllowed, errors_from_validation
from gridgov.core.roles import Role
from gridgov.core.scope import forget_scope
from gridgov.territory.models import (
    CHILD_LEVEL,
    LEVEL_CODE_LENGTH,
    LEVEL_ORDER,
    PATH_SEPARATOR,
    Department,
    Grant,
    Level,
    Region,
)
from gridgov.territory.policies import GrantPolicy, RegionPolicy

#: Levels whose parent may lie outside the loaded divisions (a county deployment has no province row).
ROOT_LEVELS = {Level.PROVINCE, Level.CITY, Level.COUNTY}
IMPORT_BATCH = 2000
DIVISION_COLUMNS = ("code", "name", "level", "parent_code")


@dataclass
class DivisionRow:
    line: int
    code: str
    name: str
    level: str
    parent_code: str


@dataclass
class ImportResult:
    created: int = 0
    renamed: int = 0
    unchanged: int = 0
    by_level: dict[str, int] = field(default_factory=dict)


def read_divisions_csv(source: str | Path | io.TextIOBase) -> list[DivisionRow]:
    """Parses a divisions file (code,name,level,parent_code; UTF-8 with or without BOM).

    Raises InvalidInput naming the file's problem (a missing column) without touching the database.
    """
    if isinstance(source, str | Path):
        with open(source, encoding="utf-8-sig", newline="") as handle:
            return read_divisions_csv(handle)
    reader = csv.DictReader(source)
    header = [h.strip().lstrip("\ufeff") for h in (reader.fieldnames or [])]
    missing = [column for column in DIVISION_COLUMNS if column not in header]
    if missing:
        raise InvalidInput(
            _("区划文件缺少列：%(columns)s（需要 code,name,level,parent_code）")
            % {"columns": ", ".join(missing)},
            fields={"file": [_("缺少列：%(columns)s") % {"columns": ", ".join(missing)}]},
        )
    reader.fieldnames = header
    rows = []
    for number, raw in enumerate(reader, start=2):
        rows.append(
            DivisionRow(
                line=number,
                code=(raw.get("code") or "").strip(),
                name=(raw.get("name") or "").strip(),
                level=(raw.get("level") or "").strip().lower(),
                parent_code=(raw.get("parent_code") or "").strip(),
            )
        )
    return rows


def _validate_divisions(rows: list[DivisionRow], existing: dict[str, tuple[int, str, str, str]]) -> list[str]:
    """Every problem in the file, each naming its line. ``existing`` maps code → (id, level, path, name)."""
    errors: list[str] = []
    levels_in_file: dict[str, str] = {}
    seen: dict[str, int] = {}

    def at(row: DivisionRow) -> str:  # built only for bad rows: gettext per row is a measurable cost
        return _("第 %(line)d 行（%(code)s）") % {"line": row.line, "code": row.code or "?"}

    for row in rows:
        if row.level not in LEVEL_CODE_LENGTH:
            errors.append(at(row) + _("：层级 “%(level)s” 无效") % {"level": row.level})
            continue
        if not row.code.isdigit() or len(row.code) != LEVEL_CODE_LENGTH[row.level]:
            errors.append(
                at(row)
                + _("：编码与层级不符，%(level)s 的编码应为 %(n)d 位数字")
                % {"level": Level(row.level).label, "n": LEVEL_CODE_LENGTH[row.level]}
            )
            continue
        if not row.name:
            errors.append(at(row) + _("：名称为空"))
            continue
        if row.code in seen:
            errors.append(at(row) + _("：编码与第 %(other)d 行重复") % {"other": seen[row.code]})
            continue
        if row.code in existing and existing[row.code][1] != row.level:
            errors.append(at(row) + _("：该编码已作为其他层级存在"))
            continue
        seen[row.code] = row.line
        levels_in_file[row.code] = row.level
    for row in rows:
        if row.code not in levels_in_file or levels_in_file[row.code] != row.level:
            continue
        parent_level = levels_in_file.get(row.parent_code) or (
            existing[row.parent_code][1] if row.parent_code in existing else None
        )
        if parent_level is None:
            if row.level not in ROOT_LEVELS:
                errors.append(
                    at(row) + _("：上级编码 %(parent)s 不存在") % {"parent": row.parent_code or "（空）"}
                )
            continue
        if CHILD_LEVEL.get(parent_level) != row.level:
            errors.append(
                at(row)
                + _("：上级 %(parent)s 是%(parent_level)s，不能直接管辖%(level)s")
                % {
                    "parent": row.parent_code,
                    "parent_level": Level(parent_level).label,
                    "level": Level(row.level).label,
                }
            )
    return errors


@transaction.atomic
def divisions_import(
    *,
    actor,
    rows: list[DivisionRow],
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Loads divisions idempotently: new codes are created, changed names updated, nothing is deleted.

    All rows are checked first; one bad row rejects the whole file (InvalidInput lists every bad row) and
    nothing is written.
    """
    if actor is not None and not RegionPolicy.can_import_divisions(actor):
        raise NotAllowed()
    existing = {
        code: (pk, level, path, name)
        for pk, code, level, path, name in Region.objects.values_list("id", "code", "level", "path", "name")
    }
    errors = _validate_divisions(rows, existing)
    if errors:
        raise InvalidInput(
            _("区划文件有 %(n)d 处错误，未导入任何数据：") % {"n": len(errors)} + "；".join(errors[:50]),
            fields={"rows": errors},
        )
    result = ImportResult()
    order = {level: i for i, level in enumerate(LEVEL_ORDER)}
    to_rename: list[Region] = []
    done = 0
    for level in sorted({row.level for row in rows}, key=order.__getitem__):
        new_regions: list[Region] = []
        for row in (r for r in rows if r.level == level):
            if row.code in existing:
                pk, _level, _path, name = existing[row.code]
                if name != row.name:
                    to_rename.append(Region(pk=pk, name=row.name))
                    result.renamed += 1
                else:
                    result.unchanged += 1
                continue
            parent = existing.get(row.parent_code)
            parent_path = parent[2] if parent else ""
            new_regions.append(
                Region(
                    code=row.code,
                    name=row.name,
                    level=level,
                    parent_id=parent[0] if parent else None,
                    path=f"{parent_path}{row.code}{PATH_SEPARATOR}",
                    depth=parent_path.count(PATH_SEPARATOR),
                )
            )
        for start in range(0, len(new_regions), IMPORT_BATCH):
            batch = new_regions[start : start + IMPORT_BATCH]
            Region.objects.bulk_create(batch, batch_size=IMPORT_BATCH)
            done += len(batch)
            if progress:
                progress(len(batch))
        if new_regions and new_regions[0].pk is None:  # backends without RETURNING: read the ids back
            ids = dict(Region.objects.filter(level=level).values_list("code", "id"))
            for region in new_regions:
                region.pk = ids[region.code]
        for region in new_regions:
            existing[region.code] = (region.pk, region.level, region.path, region.name)
        result.created += len(new_regions)
        result.by_level[level] = result.by_level.get(level, 0) + len(new_regions)
    if to_rename:
        Region.objects.bulk_update(to_rename, ["name"], batch_size=IMPORT_BATCH)
    if progress:
        progress(len(rows) - done)
    root_code = next((row.code for row in rows if row.level in ROOT_LEVELS), rows[0].code if rows else None)
    if root_code:
        audit_record(
            actor=actor,
            action="divisions.import",
            obj=Region.objects.get(code=root_code),
            changes={"rows": len(rows), "created": result.created, "renamed": result.renamed},
        )
    return result


def _full_clean(obj, exclude: Iterable[str] | None = None) -> None:
    try:
        obj.full_clean(exclude=exclude)
    except ValidationError as exc:
        raise InvalidInput(fields=errors_from_validation(exc)) from exc


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise InvalidInput(_("名称不能为空。"), fields={"name": [_("名称不能为空。")]})
    if len(name) > 100:
        raise InvalidInput(_("名称不能超过 100 个字。"), fields={"name": [_("名称不能超过 100 个字。")]})
    return name


def _next_grid_code(village: Region) -> str:
    """The next unused 3-digit sequence under a village; retired grids keep their codes for ever."""
    last = Region.objects.filter(parent=village, level=Level.GRID).aggregate(m=Max("code"))["m"]
    sequence = int(last[-3:]) + 1 if last else 1
    if sequence > 999:
        raise Conflict(_("%(village)s 的网格编号已用完（最多 999 个）。") % {"village": village.name})
    return f"{village.code}{sequence:03d}"


def _create_grid(village: Region, name: str, split_from: Region | None = None) -> Region:
    code = _next_grid_code(village)
    grid = Region(
        code=code,
        name=name,
        level=Level.GRID,
        parent=village,
        path=f"{village.path}{code}{PATH_SEPARATOR}",
        depth=village.depth + 1,
        split_from=split_from,
    )
    _full_clean(grid, exclude=["path", "depth"])
    grid.save()
    return grid


@transaction.atomic
def grid_add(*, actor, village: Region, name: str) -> Region:
    if village.level != Level.VILLAGE:
        raise InvalidInput(_("网格只能建在村(社区)之下。"), fields={"village": [_("请选择村(社区)。")]})
    if actor is not None and not RegionPolicy.can_manage_grids(actor, village):
        raise NotAllowed()
    if not village.is_active:
        raise Conflict(_("该村(社区)已撤销，不能新增网格。"))
    grid = _create_grid(village, _clean_name(name))
    audit_record(
        actor=actor, action="grid.add", obj=grid, changes={"name": grid.name, "village": village.code}
    )
    return grid


@transaction.atomic
def region_rename(*, actor, region: Region, name: str) -> Region:
    if actor is not None and not RegionPolicy.can_rename(actor, region):
        raise NotAllowed()
    name = _clean_name(name)
    old = region.name
    if old == name:
        return region
    region.name = name
    _full_clean(region, exclude=["path", "depth"])
    region.save(update_fields=["name", "updated_at"])
    audit_record(actor=actor, action="region.rename", obj=region, changes={"name": [old, name]})
    return region


@transaction.atomic
def grid_split(*, actor, grid: Region, names: list[str], keep_name: str | None = None) -> list[Region]:
    """Carves new grids out of one: the original keeps its code (optionally a new name), each new grid
    records which grid it was split from."""
    if grid.level != Level.GRID:
        raise InvalidInput(_("只能拆分网格。"))
    if actor is not None and not RegionPolicy.can_manage_grids(actor, grid):
        raise NotAllowed()
    if not grid.is_active:
        raise Conflict(_("已撤销的网格不能拆分。"))
    names = [_clean_name(n) for n in names if (n or "").strip()]
    if not names:
        raise InvalidInput(
            _("请至少填写一个新网格的名称。"), fields={"names": [_("请至少填写一个新网格的名称。")]}
        )
    if keep_name:
        region_rename(actor=actor, region=grid, name=keep_name)
    village = Region.objects.select_for_update().get(pk=grid.parent_id)
    created = [_create_grid(village, name, split_from=grid) for name in names]
    audit_record(
        actor=actor,
        action="grid.split",
        obj=grid,
        changes={"into": [f"{g.code} {g.name}" for g in created]},
    )
    return created


@transaction.atomic
def grid_retire(*, actor, grid: Region, reason: str) -> Region:
    """Retires a grid (never deletes it): its code stays reserved and its history stays readable."""
    if grid.level != Level.GRID:
        raise InvalidInput(_("只能撤销网格。"))
    if actor is not None and not RegionPolicy.can_manage_grids(actor, grid):
        raise NotAllowed()
    if not grid.is_active:
        raise Conflict(_("该网格已撤销。"))
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("请填写撤销原因。"), fields={"reason": [_("请填写撤销原因。")]})
    holders = list(grid.grants.values_list("user__username", flat=True))
    if holders:
        raise Conflict(
            _("网格仍有人员授权（%(users)s），请先调整他们的网格。") % {"users": "、".join(holders)},
            code="grid_has_grants",
        )
    grid.is_active = False
    grid.retired_at = timezone.now()
    grid.retired_reason = reason[:200]
    grid.save(update_fields=["is_active", "retired_at", "retired_reason", "updated_at"])
    audit_record(actor=actor, action="grid.retire", obj=grid, changes={"reason": reason})
    return grid


@transaction.atomic
def department_upsert(
    *, actor, county: Region, code: str, name: str, short_name: str = "", sort_order: int = 100
):
    if county.level != Level.COUNTY:
        raise InvalidInput(_("部门属于县。"), fields={"county": [_("请选择县。")]})
    if actor is not None and not GrantPolicy.can_manage(actor, county):
        raise NotAllowed()
    department = Department.objects.filter(county=county, code=code).first()
    changes = {}
    if department is None:
        department = Department(county=county, code=code)
        changes["created"] = True
    for attr, value in (("name", name), ("short_name", short_name), ("sort_order", sort_order)):
        if getattr(department, attr) != value:
            changes[attr] = value
            setattr(department, attr, value)
    if not changes:
        return department
    _full_clean(department)
    department.save()
    audit_record(actor=actor, action="department.save", obj=department, changes=changes)
    return department


@transaction.atomic
def grant_add(*, actor, user, role: str, region: Region, department: Department | None = None) -> Grant:
    if role not in Role.values:
        raise InvalidInput(fields={"role": [_("角色无效。")]})
    if actor is not None and not GrantPolicy.can_manage(actor, region):
        raise NotAllowed()
    if role == Role.DEPARTMENT_OFFICER and department is None:
        raise InvalidInput(fields={"department": [_("部门处置人员须指定部门。")]})
    grant = Grant.objects.filter(user=user, role=role, region=region).first()
    if grant is not None:
        if grant.department_id == (department.pk if department else None):
            return grant
        grant.department = department
        grant.save(update_fields=["department", "updated_at"])
    else:
        grant = Grant(user=user, role=role, region=region, department=department)
        _full_clean(grant)
        grant.save()
    forget_scope(user)
    audit_record(
        actor=actor,
        action="grant.add",
        obj=grant,
        changes={
            "user": user.username,
            "role": role,
            "region": region.code,
            "department": str(department or ""),
        },
    )
    return grant


@transaction.atomic
def grant_remove(*, actor, grant: Grant) -> None:
    if actor is not None and not GrantPolicy.can_manage(actor, grant.region):
        raise NotAllowed()
    audit_record(
        actor=actor,
        action="grant.remove",
        obj=grant,
        changes={"user": grant.user.username, "role": grant.role, "region": grant.region.code},
    )
    grant.delete()
    forget_scope(grant.user)
