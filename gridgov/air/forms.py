"""The warning form of the warnings page (the API takes the same fields as JSON)."""

import datetime as dt
import re

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.air.models import WarningBasis, WarningLevel


class WarningForm(forms.Form):
    preset = forms.ModelChoiceField(
        queryset=None, label=gettext_lazy("分级方案"), to_field_name="code", empty_label=None
    )
    townships = forms.ModelMultipleChoiceField(
        queryset=None,
        label=gettext_lazy("影响乡镇"),
        to_field_name="code",
        widget=forms.CheckboxSelectMultiple,
    )
    basis = forms.ChoiceField(
        label=gettext_lazy("依据数据"), choices=WarningBasis.choices, widget=forms.RadioSelect
    )
    start = forms.DateField(
        label=gettext_lazy("开始日期"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )
    end = forms.DateField(
        label=gettext_lazy("结束日期（实测）"),
        required=False,
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
    )
    forecast = forms.CharField(
        label=gettext_lazy("预报日 AQI（逐日，用逗号或空格分隔）"),
        required=False,
        max_length=300,
        widget=forms.TextInput(attrs={"placeholder": "230, 260, 310", "inputmode": "numeric"}),
    )
    level = forms.ChoiceField(
        label=gettext_lazy("预警级别"),
        required=False,
        choices=[("", gettext_lazy("按规则自动判定")), *list(WarningLevel.choices)],
    )
    reason = forms.CharField(
        label=gettext_lazy("发布理由"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, presets, townships, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["preset"].queryset = presets
        self.fields["townships"].queryset = townships
        if not self.is_bound:
            self.initial.setdefault("basis", WarningBasis.FORECAST)
            self.initial.setdefault("start", timezone.localdate())
            first = presets.first()
            if first is not None:
                self.initial.setdefault("preset", first.code)

    def clean(self):
        data = super().clean()
        basis, start = data.get("basis"), data.get("start")
        if start is None:
            return data
        for name in ("start", "end"):
            value = data.get(name)
            if value is not None and not 1970 <= value.year <= 2100:
                self.add_error(name, _("日期须在 1970–2100 年之间。"))
                return data
        if basis == WarningBasis.FORECAST:
            text = (data.get("forecast") or "").strip()
            parts = [p for p in re.split(r"[\s,，;；、]+", text) if p]
            if not parts:
                self.add_error("forecast", _("请填写逐日预报 AQI。"))
                return data
            series = []
            for i, part in enumerate(parts):
                if not part.isdigit() or int(part) > 500:
                    self.add_error("forecast", _("“%(value)s”不是 0–500 的整数。") % {"value": part})
                    return data
                series.append({"date": start + dt.timedelta(days=i), "aqi": int(part)})
            data["series"] = series
        else:
            if data.get("end") is None:
                self.add_error("end", _("实测依据须给出结束日期。"))
        return data
