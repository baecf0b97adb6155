"""The audit log: every service writes one row in its own transaction."""

from typing import Any

from django.db import models

from gridgov.core.models import AuditLog


def audit_record(*, actor, action: str, obj: models.Model, changes: dict[str, Any] | None = None) -> AuditLog:
    """Appends an audit row. Call inside the service's transaction so the row and the write land together.

    The row keeps ``str(obj)`` as the object's label: a model's ``__str__`` must therefore never contain a secret
    or a sealed value in clear (ID numbers, phones, tracking codes, webhook URLs); ``changes`` likewise carries
    masked values only."""
    entry = audit_entry(actor=actor, action=action, obj=obj, changes=changes)
    entry.save(force_insert=True)
    return entry


def audit_entry(*, actor, action: str, obj: models.Model, changes: dict[str, Any] | None = None) -> AuditLog:
    """The row ``audit_record`` appends, not yet saved: for a hot path that inserts it on a prepared statement
    (gridgov.cases.services.hotpath) in the same transaction."""
    return AuditLog(
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        changes=_jsonable(changes or {}),
    )


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def audit_list(*, action: str | None = None, object_type: str | None = None):
    qs = AuditLog.objects.select_related("actor")
    if action:
        qs = qs.filter(action=action)
    if object_type:
        qs = qs.filter(object_type=object_type)
    return qs
