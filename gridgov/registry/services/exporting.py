"""Ledger export (台账导出): the import's own columns (so an exported ledger can be edited and imported back),
plus the township and village for reading, written row by row with constant memory."""

from pathlib import Path

from django.core.exceptions import FieldDoesNotExist
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from gridgov.core.crypto import unseal
from gridgov.core.exceptions import InvalidInput, NotAllowed
from gridgov.core.models import AccessLog
from gridgov.core.scope import scope_for
from gridgov.core.xlsx import Workbook
from gridgov.registry.columns import COLUMNS
from gridgov.registry.models import Household, Licence, Place, Resident, tags_from_text
from gridgov.registry.policies import RegistryPolicy
from gridgov.registry.services.privacy import MIN_REASON_LENGTH
from gridgov.territory.models import Region, subtree_range

CHUNK = 5000
SHEET_NAME_MAX = 31

# For each kind: the model, the path of its grid, and, per import column, the value to write
# (a field to read, or a sealed/masked pair for personal numbers).
SPECS = {
    "households": {
        "model": Household,
        "grid": "grid",
        "values": {
            "code": "code",
            "grid": "grid__code",
            "address": "address",
            "head_name": "head_name",
            "head_id": ("head_id_sealed", "head_id_masked"),
            "phone": ("phone_sealed", "phone_masked"),
            "members": "members",
            "tags": "tags",
            "longitude": "longitude",
            "latitude": "latitude",
        },
    },
    "residents": {
        "model": Resident,
        "grid": "household__grid",
        "values": {
            "household": "household__code",
            "name": "name",
            "id_number": ("id_sealed", "id_masked"),
            "relation": "relation",
            "phone": ("phone_sealed", "phone_masked"),
            "tags": "tags",
        },
    },
    "places": {
        "model": Place,
        "grid": "grid",
        "values": {
            "name": "name",
            "kind": "kind",
            "industry": "industry",
            "credit_code": "credit_code",
            "grid": "grid__code",
            "address": "address",
            "person_in_charge": "person_in_charge",
            "phone": ("phone_sealed", "phone_masked"),
            "risk_level": "risk_level",
            "sells_fireworks": "sells_fireworks",
            "registration_status": "registration_status",
            "tags": "tags",
            "longitude": "longitude",
            "latitude": "latitude",
        },
    },
    "licences": {
        "model": Licence,
        "grid": "grid",
        "values": {
            "kind": "kind",
            "number": "number",
            "holder_name": "holder_name",
            "credit_code": "place__credit_code",
            "grid": "grid__code",
            "issuing_authority": "issuing_authority",
            "valid_from": "valid_from",
            "valid_to": "valid_to",
            "product_types": "product_types",
            "max_storage": "max_storage",
            "consignor": "consignor",
            "carrier": "carrier",
            "origin": "origin",
            "destination": "destination",
            "route": "route",
            "quantity": "quantity",
        },
    },
}


def _labels(model, field: str) -> dict:
    try:
        return {value: str(label) for value, label in model._meta.get_field(field).choices or []}
    except FieldDoesNotExist:  # a related path (grid__code …) has no choices of its own
        return {}


def registry_export(**kwargs) -> int:
    """Writes ``kind``'s ledger for ``region`` (the actor's scope applies) to ``path``; returns the row count.

    Keyword arguments: actor, kind, region, path, by_township=False, unmask=False, reason="". The ledger is
    written in Chinese whatever the user's interface language, so that it can be imported back.
    """
    with translation.override("zh-hans"):
        return _registry_export(**kwargs)


@transaction.atomic
def _registry_export(
    *,
    actor,
    kind: str,
    region: Region,
    path: str | Path,
    by_township: bool = False,
    unmask: bool = False,
    reason: str = "",
) -> int:
    if kind not in SPECS:
        raise InvalidInput(fields={"kind": [_("未知的台账类别。")]})
    if actor is not None and not (
        scope_for(actor).can_see(region) and RegistryPolicy.can_read_somewhere(actor, kind)
    ):
        raise NotAllowed()
    if unmask:
        if actor is None or not RegistryPolicy.can_unmask(actor):
            raise NotAllowed(_("您没有导出个人信息明文的权限。"))
        if len((reason or "").strip()) < MIN_REASON_LENGTH:
            raise InvalidInput(
                fields={"reason": [_("导出明文须填写事由（至少 %(n)d 个字）。") % {"n": MIN_REASON_LENGTH}]}
            )
    spec = SPECS[kind]
    model, grid = spec["model"], spec["grid"]
    qs = model.objects.all()
    if actor is not None:
        qs = qs.filter(RegistryPolicy.read_q(actor, kind, field=f"{grid}__path"))
    low, high = subtree_range(region.path)
    qs = qs.filter(**{f"{grid}__path__gte": low, f"{grid}__path__lt": high})
    if hasattr(model, "is_active"):
        qs = qs.filter(is_active=True)
    columns = COLUMNS[kind]
    fetch = [f"{grid}__parent__parent__name", f"{grid}__parent__name", f"{grid}__path"]
    for column in columns:
        source = spec["values"][column.key]
        fetch.extend(source if isinstance(source, tuple) else [source])
    qs = qs.order_by(f"{grid}__path", "pk").values_list(*fetch)
    choice_labels = {
        column.key: _labels(model, spec["values"][column.key])
        for column in columns
        if isinstance(spec["values"][column.key], str)
    }
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    book = Workbook(path)
    headers = [_("乡镇(街道)"), _("村(社区)"), *(c.header for c in columns)]
    sheets: dict[str, object] = {}

    single_sheet = _("台账")  # looked up once: gettext per row was a measurable share of a county export

    def sheet_for(township: str):
        name = (township or single_sheet)[:SHEET_NAME_MAX] if by_township else single_sheet
        if name not in sheets:
            sheet = book.add_sheet(name)
            sheet.set_column_width(0, len(headers) - 1, 16)
            sheet.freeze_top_rows(1)
            sheet.write_row(headers, style=Workbook.HEADER)
            sheets[name] = sheet
        return sheets[name]

    yes, no = _("是"), _("否")
    count = 0
    try:
        for record in qs.iterator(chunk_size=CHUNK):
            township, village = record[0], record[1]
            values = list(record[3:])
            out = [township or "", village or ""]
            for column in columns:
                source = spec["values"][column.key]
                if isinstance(source, tuple):
                    sealed, masked = values.pop(0), values.pop(0)
                    out.append(unseal(sealed) if unmask else masked)
                    continue
                value = values.pop(0)
                if column.key == "tags":
                    value = "、".join(tags_from_text(value))
                elif isinstance(value, bool):
                    value = yes if value else no
                elif column.key in choice_labels and value in choice_labels[column.key]:
                    value = choice_labels[column.key][value]
                out.append(value)
            sheet_for(township).write_row(out)
            count += 1
        if not sheets:
            sheet_for("")
    except BaseException:
        book.discard()
        raise
    book.close()
    if unmask:
        AccessLog.objects.create(
            actor=actor,
            action=AccessLog.Action.EXPORT,
            object_type=model._meta.label_lower,
            object_id="",
            object_repr=f"{region.name} {kind} ({count})"[:200],
            fields="all",
            reason=reason.strip()[:200],
        )
    return count
