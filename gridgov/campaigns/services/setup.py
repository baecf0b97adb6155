"""Setting a campaign up: the campaign, its work team, its letter templates and its visit forms."""

import datetime as dt
import re

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from gridgov.campaigns.models import Campaign, LetterTemplate, TargetKind, TeamMember, VisitForm
from gridgov.campaigns.policies import MANAGE_ROLES, CampaignPolicy
from gridgov.campaigns.services.counters import campaign_recount
from gridgov.cases.models import Category
from gridgov.core.audit import audit_record
from gridgov.core.exceptions import Conflict, InvalidInput, NotAllowed, errors_from_validation
from gridgov.core.scope import scope_for
from gridgov.registry.models import Place
from gridgov.territory.models import Department, Region

QUESTION_TYPES = ("yes_no", "number", "text", "choice")
KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,47}$")


def _check_manager(actor) -> None:
    if actor is not None and not CampaignPolicy.can_manage(actor):
        raise NotAllowed()


def _full_clean(obj, exclude=None) -> None:
    try:
        obj.full_clean(exclude=exclude)
    except ValidationError as exc:
        raise InvalidInput(fields=errors_from_validation(exc)) from exc


def _place_kinds(kinds) -> str:
    kinds = sorted({k for k in kinds or [] if k})
    unknown = [k for k in kinds if k not in Place.Kind.values]
    if unknown:
        raise InvalidInput(
            fields={"target_place_kinds": [_("未知的场所类型：%(kinds)s") % {"kinds": "、".join(unknown)}]}
        )
    return "|" + "|".join(kinds) + "|" if kinds else ""


@transaction.atomic
def campaign_create(
    *,
    actor,
    code: str,
    name: str,
    kind: str,
    starts_on: dt.date,
    ends_on: dt.date,
    regions: list[Region],
    description: str = "",
    lead_unit: Department | None = None,
    target_households: bool = True,
    target_place_kinds=(),
) -> Campaign:
    _check_manager(actor)
    if not regions:
        raise InvalidInput(fields={"regions": [_("请选择行动范围。")]})
    if actor is not None:
        scope = scope_for(actor)
        outside = [r.name for r in regions if not scope.can_act(r, MANAGE_ROLES)]
        if outside:
            raise InvalidInput(
                fields={"regions": [_("不在您的管辖范围内：%(names)s") % {"names": "、".join(outside)}]}
            )
    if starts_on and ends_on and ends_on < starts_on:
        raise InvalidInput(fields={"ends_on": [_("结束日期不能早于开始日期。")]})
    campaign = Campaign(
        code=(code or "").strip(),
        name=(name or "").strip(),
        kind=kind,
        starts_on=starts_on,
        ends_on=ends_on,
        description=(description or "").strip(),
        lead_unit=lead_unit,
        target_households=target_households,
        target_place_kinds=_place_kinds(target_place_kinds),
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    _full_clean(campaign)
    campaign.save()
    campaign.regions.set(regions)
    audit_record(actor=actor, action="campaign_create", obj=campaign, changes={"code": campaign.code})
    return campaign


@transaction.atomic
def campaign_activate(*, actor, campaign: Campaign) -> Campaign:
    """筹备中 → 进行中: counts the targets (one GROUP BY) so that coverage starts from the registry as it is."""
    _check_manager(actor)
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.state != Campaign.State.DRAFT:
        raise Conflict(_("只有筹备中的专项行动可以启动。"))
    campaign.state = Campaign.State.ACTIVE
    campaign.save(update_fields=["state", "updated_at"])
    campaign_recount(actor=actor, campaign=campaign)
    audit_record(actor=actor, action="campaign_activate", obj=campaign)
    return campaign


@transaction.atomic
def campaign_close(*, actor, campaign: Campaign) -> Campaign:
    _check_manager(actor)
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.state != Campaign.State.ACTIVE:
        raise Conflict(_("只有进行中的专项行动可以结束。"))
    campaign.state = Campaign.State.CLOSED
    campaign.save(update_fields=["state", "updated_at"])
    audit_record(actor=actor, action="campaign_close", obj=campaign)
    return campaign


@transaction.atomic
def team_member_add(
    *,
    actor,
    campaign: Campaign,
    name: str,
    position: str,
    duty: str,
    region: Region | None = None,
    jointly_responsible: bool = False,
    sort_order: int = 100,
) -> TeamMember:
    _check_manager(actor)
    member = TeamMember(
        campaign=campaign,
        name=(name or "").strip(),
        position=(position or "").strip(),
        duty=(duty or "").strip(),
        region=region,
        jointly_responsible=jointly_responsible,
        sort_order=sort_order,
    )
    _full_clean(member)
    member.save()
    audit_record(actor=actor, action="campaign_team_add", obj=member, changes={"campaign": campaign.pk})
    return member


@transaction.atomic
def letter_template_set(
    *, actor, campaign: Campaign, target_kind: str, title: str, body: str
) -> LetterTemplate:
    _check_manager(actor)
    if target_kind not in (TargetKind.HOUSEHOLD, TargetKind.PLACE):
        raise InvalidInput(fields={"target_kind": [_("承诺书对象须为住户或场所。")]})
    letter = LetterTemplate.objects.filter(
        campaign=campaign, target_kind=target_kind
    ).first() or LetterTemplate(campaign=campaign, target_kind=target_kind)
    letter.title, letter.body = (title or "").strip(), (body or "").strip()
    _full_clean(letter, exclude=["campaign"])
    letter.save()
    audit_record(actor=actor, action="campaign_letter_set", obj=letter, changes={"kind": target_kind})
    return letter


def clean_questions(questions) -> list[dict]:
    """Checks a form's questions; errors name the question by its position (questions.2.type)."""
    if not isinstance(questions, list) or not questions:
        raise InvalidInput(fields={"questions": [_("表单至少要有一个问题。")]})
    errors: dict[str, list[str]] = {}
    cleaned, keys = [], set()
    codes = set(Category.objects.filter(is_active=True).values_list("code", flat=True))
    for i, raw in enumerate(questions):
        where = f"questions.{i}"
        if not isinstance(raw, dict):
            errors[where] = [_("问题格式无效。")]
            continue
        key = str(raw.get("key", "")).strip()
        qtype = raw.get("type", "yes_no")
        label = str(raw.get("label", "")).strip()
        if not KEY_RE.match(key):
            errors[f"{where}.key"] = [_("代码须以小写字母开头，只含小写字母、数字和下划线。")]
        elif key in keys:
            errors[f"{where}.key"] = [_("代码重复：%(key)s") % {"key": key}]
        keys.add(key)
        if not label:
            errors[f"{where}.label"] = [_("请填写问题。")]
        if qtype not in QUESTION_TYPES:
            errors[f"{where}.type"] = [_("题型须为 yes_no、number、text 或 choice。")]
        choices = [str(c) for c in raw.get("choices") or []]
        if qtype == "choice" and not choices:
            errors[f"{where}.choices"] = [_("选择题须列出选项。")]
        category = str(raw.get("category") or "")
        if category and category not in codes:
            errors[f"{where}.category"] = [_("未知或停用的案件类别：%(code)s") % {"code": category}]
        problem_if = raw.get("problem_if")
        if problem_if is not None and category == "":
            errors[f"{where}.category"] = [_("会发现问题的题目须指定案件类别。")]
        cleaned.append(
            {
                "key": key,
                "label": label,
                "type": qtype,
                "required": bool(raw.get("required", True)),
                "choices": choices,
                "problem_if": problem_if,
                "category": category,
            }
        )
    if errors:
        raise InvalidInput(fields=errors)
    return cleaned


@transaction.atomic
def visit_form_set(*, actor, campaign: Campaign, target_kind: str, title: str, questions) -> VisitForm:
    _check_manager(actor)
    if target_kind not in (TargetKind.HOUSEHOLD, TargetKind.PLACE):
        raise InvalidInput(fields={"target_kind": [_("表单对象须为住户或场所。")]})
    form = VisitForm.objects.filter(campaign=campaign, target_kind=target_kind).first() or VisitForm(
        campaign=campaign, target_kind=target_kind
    )
    form.title = (title or "").strip()
    form.questions = clean_questions(questions)
    _full_clean(form, exclude=["campaign", "questions"])
    form.save()
    audit_record(actor=actor, action="campaign_form_set", obj=form, changes={"kind": target_kind})
    return form


@transaction.atomic
def campaign_from_template(
    *,
    actor,
    template: str,
    code: str,
    starts_on: dt.date,
    ends_on: dt.date,
    regions: list[Region],
    lead_unit: Department | None = None,
    name: str = "",
) -> Campaign:
    """Creates a campaign from one of the shipped templates (``gridgov.campaigns.defaults.TEMPLATES``), with its
    letters and forms, still 筹备中 (``campaign_activate`` starts it)."""
    from gridgov.campaigns.defaults import TEMPLATES

    spec = TEMPLATES.get(template)
    if spec is None:
        raise InvalidInput(fields={"template": [_("未知的模板：%(name)s") % {"name": template}]})
    campaign = campaign_create(
        actor=actor,
        code=code,
        name=name or spec["name"],
        kind=spec["kind"],
        starts_on=starts_on,
        ends_on=ends_on,
        regions=regions,
        description=spec["description"],
        lead_unit=lead_unit,
        target_households=spec["target_households"],
        target_place_kinds=spec["target_place_kinds"],
    )
    for kind, (title, body) in spec["letters"].items():
        letter_template_set(actor=actor, campaign=campaign, target_kind=kind, title=title, body=body)
    for kind, (title, questions) in spec["forms"].items():
        visit_form_set(actor=actor, campaign=campaign, target_kind=kind, title=title, questions=questions)
    return campaign
