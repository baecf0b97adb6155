"""Writes to the working-time calendar. Everything that changes a CalendarOverride goes through here."""

import datetime as dt

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction

from gridgov.core.audit import audit_record
from gridgov.core.exceptions import InvalidInput, NotAllowed, errors_from_validation
from gridgov.core.roles import Role
from gridgov.core.scope import scope_for
from gridgov.worktime.models import CalendarOverride


def _check_allowed(actor) -> None:
    """The calendar is county-wide: county admins (and the platform's superusers) edit it."""
    if actor is None or actor.is_superuser or scope_for(actor).has_role(Role.COUNTY_ADMIN):
        return
    raise NotAllowed()


def _clean(override: CalendarOverride) -> None:
    try:
        override.full_clean()
    except ValidationError as exc:
        raise InvalidInput(fields=errors_from_validation(exc)) from exc


@transaction.atomic
def calendar_override_set(
    *, actor: AbstractBaseUser | None, date: dt.date, kind: str, name: str
) -> CalendarOverride:
    """Make ``date`` a holiday (放假) or a working day (调休上班) called ``name``: create or update it.

    ``actor`` is the user making the change (None for system and command-line changes).
    Raises ``InvalidInput`` (nothing written) for an unknown kind or an empty or too long name.
    """
    _check_allowed(actor)
    name = name.strip() if isinstance(name, str) else name
    override = CalendarOverride.objects.select_for_update().filter(date=date).first()
    if override is None:
        override = CalendarOverride(date=date, kind=kind, name=name)
        _clean(override)
        override.save()
        audit_record(actor=actor, action="calendar.set", obj=override, changes={"kind": kind, "name": name})
        return override
    changed = [
        field for field, value in (("kind", kind), ("name", name)) if getattr(override, field) != value
    ]
    if not changed:
        return override
    override.kind = kind
    override.name = name
    _clean(override)
    override.save(update_fields=[*changed, "updated_at"])
    audit_record(actor=actor, action="calendar.set", obj=override, changes={"kind": kind, "name": name})
    return override


@transaction.atomic
def calendar_override_delete(*, actor: AbstractBaseUser | None, date: dt.date) -> bool:
    """Remove the override on ``date`` so that the library (or the weekend rule) decides again.

    Returns whether there was an override to remove.
    """
    _check_allowed(actor)
    override = CalendarOverride.objects.select_for_update().filter(date=date).first()
    if override is None:
        return False
    audit_record(actor=actor, action="calendar.delete", obj=override, changes={"kind": override.kind})
    override.delete()
    return True
