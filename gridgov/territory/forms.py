from django import forms
from django.utils.translation import gettext_lazy as _


class GridAddForm(forms.Form):
    name = forms.CharField(label=_("新网格名称"), max_length=100)


class RenameForm(forms.Form):
    name = forms.CharField(label=_("新名称"), max_length=100)


class GridSplitForm(forms.Form):
    keep_name = forms.CharField(label=_("原网格的新名称（可不填）"), max_length=100, required=False)
    names = forms.CharField(
        label=_("拆出的新网格名称"),
        help_text=_("每行一个"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean_names(self):
        names = [line.strip() for line in self.cleaned_data["names"].splitlines() if line.strip()]
        if not names:
            raise forms.ValidationError(_("请至少填写一个新网格的名称。"))
        if len(names) > 20:
            raise forms.ValidationError(_("一次最多拆出 20 个网格。"))
        too_long = [n for n in names if len(n) > 100]
        if too_long:
            raise forms.ValidationError(_("网格名称不能超过 100 个字：%(name)s") % {"name": too_long[0][:20]})
        return names


class GridRetireForm(forms.Form):
    reason = forms.CharField(label=_("撤销原因"), max_length=200)
