"""Writes to the working-time calendar. Everything that changes a CalendarOverride goes through here."""

import datetime as dt

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from gridgov.worktime.models import CalendarOverride


@transaction.atomic
def calendar_override_set(
    *, actor: AbstractBaseUser | None, date: dt.date, kind: str, name: str
) -> CalendarOverride:
    """Make ``date`` a holiday (放假) or a working day (调休上班) called ``name``: create or update it.

    ``actor`` is the user making the change (None for system and command-line changes).
    Raises ``ValidationError`` (nothing written) for an unknown kind or an empty or too long name.
    """
    name = name.strip() if isinstance(name, str) else name
    override = CalendarOverride.objects.select_for_update().filter(date=date).first()
    if override is None:
        override = CalendarOverride(date=date, kind=kind, name=name)
        override.full_clean()
        override.save()
        return override
    changed = [
        field for field, value in (("kind", kind), ("name", name)) if getattr(override, field) != value
    ]
    if not changed:
        return override
    override.kind = kind
    override.name = name
    override.full_clean()
    override.save(update_fields=[*changed, "updated_at"])
    return override


@transaction.atomic
def calendar_override_delete(*, actor: AbstractBaseUser | None, date: dt.date) -> bool:
    """Remove the override on ``date`` so that the library (or the weekend rule) decides again.

    Returns whether there was an override to remove.
    """
    override = CalendarOverride.objects.select_for_update().filter(date=date).first()
    if override is None:
        return False
    override.delete()
    return True
