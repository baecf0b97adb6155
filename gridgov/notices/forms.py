"""Forms of the notice pages. Validation that matters lives in the services; these parse and present."""

from django import forms
from django.utils.translation import gettext_lazy as _

from gridgov.core.scope import scope_for
from gridgov.notices.models import Audience, Channel, Priority, ReportOutcome
from gridgov.notices.policies import PUBLISHERS
from gridgov.territory.models import Level, Region


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"multiple": True}))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(d, initial) for d in data if d]
        return [super().clean(data, initial)] if data else []


def scope_choices(user) -> list[tuple[str, str]]:
    """The regions a user may publish to: their publishing roots and the level below (townships for the county,
    villages for a township)."""
    scope = scope_for(user)
    roots = list(Region.objects.filter(path__in=scope.root_paths(PUBLISHERS)).order_by("code"))
    choices = []
    for root in roots:
        choices.append((root.code, f"{root.name}（{_('全部')}）"))
        if root.level in (Level.COUNTY, Level.TOWNSHIP):
            for child in Region.objects.filter(parent=root, is_active=True).order_by("code"):
                choices.append((child.code, f"— {child.name}"))
    return choices


class NoticeForm(forms.Form):
    title = forms.CharField(label=_("标题"), max_length=120)
    body = forms.CharField(label=_("正文"), max_length=4000, widget=forms.Textarea(attrs={"rows": 6}))
    scope = forms.MultipleChoiceField(label=_("发送范围"), widget=forms.CheckboxSelectMultiple)
    audience = forms.MultipleChoiceField(
        label=_("发送对象"),
        choices=Audience.choices,
        initial=[Audience.GROUPS, Audience.GRID_WORKERS],
        widget=forms.CheckboxSelectMultiple,
    )
    priority = forms.ChoiceField(label=_("紧急程度"), choices=Priority.choices, initial=Priority.NORMAL)
    requires_ack = forms.BooleanField(label=_("需要网格员确认转达"), required=False, initial=True)
    deadline = forms.DateTimeField(
        label=_("确认截止时间"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    attachments = MultipleFileField(label=_("附件"), help_text=_("可选，PDF、Word、图片，单个不超过 20MB"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scope"].choices = scope_choices(user)


class AckForm(forms.Form):
    households_told = forms.IntegerField(
        label=_("已告知户数（可不填）"),
        required=False,
        min_value=0,
        max_value=100000,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )


class ReportForm(forms.Form):
    outcome = forms.ChoiceField(label=_("结果"), choices=ReportOutcome.choices, widget=forms.RadioSelect)
    number = forms.IntegerField(
        label=_("数量（户数、处数等）"),
        required=False,
        min_value=0,
        max_value=1000000,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    note = forms.CharField(
        label=_("说明"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 4})
    )
    photos = MultipleFileField(label=_("照片"), help_text=_("最多 6 张"))


class ToCaseForm(forms.Form):
    category = forms.ModelChoiceField(label=_("案件类别"), queryset=None)

    def __init__(self, *args, **kwargs):
        from gridgov.cases.models import Category

        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = Category.objects.filter(is_active=True).order_by(
            "group__sort_order", "code"
        )


class GridGroupForm(forms.Form):
    name = forms.CharField(label=_("群名称"), max_length=100, required=False)
    channel = forms.ChoiceField(label=_("渠道"), choices=Channel.choices, widget=forms.RadioSelect)
    webhook_url = forms.CharField(
        label=_("Webhook 地址"),
        max_length=500,
        required=False,
        help_text=_("机器人的完整地址；留空则保留已保存的地址"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    secret = forms.CharField(
        label=_("加签密钥（钉钉）"),
        max_length=200,
        required=False,
        help_text=_("留空则保留已保存的密钥"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    households_joined = forms.IntegerField(label=_("入群户数"), min_value=0, max_value=100000, required=False)


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("表格文件"),
        help_text=_(".xlsx 或 .csv；列：网格编码、群名称、渠道、Webhook地址、加签密钥、入群户数"),
    )
