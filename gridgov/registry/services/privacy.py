"""Unmasking personal data: a permission of its own, always with a reason, always logged (PIPL)."""

from django.db import transaction
from django.utils.translation import gettext as _

from gridgov.core.crypto import unseal
from gridgov.core.exceptions import InvalidInput, NotAllowed
from gridgov.core.models import AccessLog
from gridgov.registry.models import Household, Place, Resident
from gridgov.registry.policies import RegistryPolicy

#: The sealed fields each model can reveal, by the name shown to users.
SEALED_FIELDS = {
    Household: {"head_id": "head_id_sealed", "phone": "phone_sealed"},
    Resident: {"id_number": "id_sealed", "phone": "phone_sealed"},
    Place: {"phone": "phone_sealed"},
}
MIN_REASON_LENGTH = 4


@transaction.atomic
def personal_data_unmask(*, actor, obj, reason: str) -> dict[str, str]:
    """The clear values of ``obj``'s personal numbers. ``obj`` must come from an ``access_*`` helper (so it is in
    the actor's scope); the actor needs the unmask permission and must say why."""
    if not RegistryPolicy.can_unmask(actor):
        raise NotAllowed(_("您没有查看个人信息明文的权限。"))
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON_LENGTH:
        raise InvalidInput(
            fields={"reason": [_("请填写查看事由（至少 %(n)d 个字）。") % {"n": MIN_REASON_LENGTH}]}
        )
    fields = SEALED_FIELDS[type(obj)]
    values = {name: unseal(getattr(obj, attr)) for name, attr in fields.items()}
    AccessLog.objects.create(
        actor=actor,
        action=AccessLog.Action.UNMASK,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        fields=",".join(name for name, value in values.items() if value),
        reason=reason[:200],
    )
    return values
