"""Forms of the inspection pages. Validation of substance stays in the services; the forms parse."""

from django import forms
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.models import User
from gridgov.inspections.models import Checklist, Plan
from gridgov.registry.models import Place
from gridgov.territory.models import Department, Level, Region


class PlanForm(forms.Form):
    name = forms.CharField(label=_("计划名称"), max_length=100)
    mode = forms.ChoiceField(label=_("方式"), choices=Plan.Mode.choices, widget=forms.RadioSelect)
    department = forms.ModelChoiceField(label=_("组织单位"), queryset=Department.objects.none())
    checklist = forms.ModelChoiceField(label=_("检查表"), queryset=Checklist.objects.filter(is_active=True))
    team_name = forms.CharField(label=_("督导组"), max_length=100, initial=_("第一督导组"))
    members = forms.ModelMultipleChoiceField(
        label=_("组员"),
        queryset=User.objects.filter(is_active=True, grants__isnull=False).distinct().order_by("username"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    starts_on = forms.DateField(label=_("开始日期"), widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label=_("结束日期"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, departments=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = (
            departments if departments is not None else Department.objects.none()
        )


class DrawForm(forms.Form):
    count = forms.IntegerField(label=_("抽取数量"), min_value=1, max_value=1000, initial=5)
    region = forms.ModelChoiceField(label=_("范围"), queryset=Region.objects.none(), required=False)
    kinds = forms.MultipleChoiceField(
        label=_("场所类型"), choices=Place.Kind.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    risks = forms.MultipleChoiceField(
        label=_("风险等级"), choices=Place.Risk.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    seed = forms.IntegerField(
        label=_("随机种子（留空自动生成）"), min_value=0, max_value=2**62 - 1, required=False
    )

    def __init__(self, *args, county=None, **kwargs):
        super().__init__(*args, **kwargs)
        if county is not None:
            self.fields["region"].queryset = Region.objects.under(county).filter(
                level__in=[Level.COUNTY, Level.TOWNSHIP]
            )


class TownshipTargetsForm(forms.Form):
    townships = forms.ModelMultipleChoiceField(
        label=_("暗访乡镇"), queryset=Region.objects.none(), widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, county=None, **kwargs):
        super().__init__(*args, **kwargs)
        if county is not None:
            self.fields["townships"].queryset = Region.objects.under(county).filter(
                level=Level.TOWNSHIP, is_active=True
            )


class ReinspectForm(forms.Form):
    passed = forms.TypedChoiceField(
        label=_("复查结论"),
        choices=[("1", _("整改合格，销号")), ("0", _("未整改到位，重新整改"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("复查情况"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    # the re-inspection the page showed: a second tap, or a result someone else recorded meanwhile, gets 409
    visit = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
