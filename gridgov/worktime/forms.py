from django import forms
from django.utils.translation import gettext_lazy as _

from gridgov.worktime.models import CalendarOverride


class OverrideForm(forms.Form):
    date = forms.DateField(label=_("日期"), widget=forms.DateInput(attrs={"type": "date"}))
    kind = forms.ChoiceField(label=_("类型"), choices=CalendarOverride.Kind.choices)
    name = forms.CharField(label=_("名称"), max_length=50, help_text=_("如：春节、国庆节调休"))
