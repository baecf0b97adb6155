"""Staff actions on tips: revealing a reporter to the reward officer (logged), and voiding spam in one action."""

from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from gridgov.cases.models import CaseState
from gridgov.cases.services.loop import case_void
from gridgov.core.audit import audit_record
from gridgov.core.crypto import unseal
from gridgov.core.exceptions import Conflict, InvalidInput, NotAllowed
from gridgov.core.models import AccessLog
from gridgov.tips.models import Reward, Tip
from gridgov.tips.policies import TipPolicy


@dataclass(frozen=True)
class Reporter:
    name: str
    phone: str
    claim_contact: str


@transaction.atomic
def tip_reporter_reveal(*, actor, tip: Tip, reason: str) -> Reporter:
    """The reporter's name and phone in clear, for the reward officer only; the read goes to the access log."""
    if not TipPolicy.can_see_reporter(actor, tip):
        raise NotAllowed(_("只有有奖举报办可以查看举报人信息。"))
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(fields={"reason": [_("请说明查看举报人信息的事由。")]})
    reward = Reward.objects.filter(tip=tip).first()
    reporter = Reporter(
        name=unseal(tip.reporter_name_sealed),
        phone=unseal(tip.reporter_phone_sealed),
        claim_contact=unseal(reward.claim_contact_sealed) if reward else "",
    )
    AccessLog.objects.create(
        actor=actor,
        action=AccessLog.Action.UNMASK,
        object_type=tip._meta.label_lower,
        object_id=str(tip.pk),
        object_repr=str(tip)[:200],
        fields="reporter_name,reporter_phone,claim_contact",
        reason=reason[:200],
    )
    return reporter


@transaction.atomic
def tip_void_spam(*, actor, tip: Tip, note: str) -> int:
    """Marks the tip and every other tip of its case as spam and voids the case (作废), in one action.
    Returns how many tips were marked. Only a case still awaiting registration can be voided."""
    if not TipPolicy.can_void_spam(actor, tip):
        raise NotAllowed(_("只有监督中心可以作废恶意举报。"))
    note = (note or "").strip()
    if not note:
        raise InvalidInput(fields={"note": [_("作废须说明理由。")]})
    case = tip.case
    if case.state != CaseState.REPORTED:
        raise Conflict(
            _("案件已进入处置流程（%(state)s），不能按恶意举报作废。") % {"state": case.get_state_display()},
            code="invalid_transition",
        )
    case_void(actor=actor, case=case, note=note)
    marked = Tip.objects.filter(case=case, is_spam=False).update(is_spam=True)
    audit_record(actor=actor, action="tips.void_spam", obj=tip, changes={"case": case.number, "tips": marked})
    return marked
