"""Forms of the tip pages. They parse and check the shape of input; the services judge it, and their field errors
are put back on these forms."""

import secrets
import time

from django import forms
from django.core import signing
from django.utils.translation import gettext_lazy as _

from gridgov.cases.forms import MultipleFileField
from gridgov.territory.models import Level, Region
from gridgov.tips.models import Reward, RewardRule
from gridgov.tips.services import tip_setting

STARTED_SALT = "gridgov.tips.form-started"


def started_token() -> str:
    """When the page was opened, and a random nonce: the token also tells one filling-in of the form from another
    (a form sent twice files one tip), so two people opening the page in the same second must not share it."""
    return signing.dumps([int(time.time()), secrets.token_urlsafe(12)], salt=STARTED_SALT)


def _started_at(value) -> int:
    if isinstance(value, list) and value and isinstance(value[0], int):
        return value[0]
    if isinstance(value, int):  # a page opened before the nonce was added
        return value
    raise signing.BadSignature("malformed")


class TipForm(forms.Form):
    """The public form (/tips/new) and, with ``phone=True``, the hotline officer's form."""

    category = forms.ModelChoiceField(label=_("举报类别"), queryset=None, empty_label=_("请选择"))
    township = forms.ModelChoiceField(label=_("乡镇(街道)"), queryset=None, empty_label=_("请选择乡镇"))
    village = forms.ModelChoiceField(
        label=_("村(社区)（可选）"), queryset=None, required=False, empty_label=_("不清楚 / 不选")
    )
    address = forms.CharField(
        label=_("具体位置"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("如：常营镇东街路口北 50 米小卖部")}),
    )
    latitude = forms.CharField(required=False, widget=forms.HiddenInput)
    longitude = forms.CharField(required=False, widget=forms.HiddenInput)
    description = forms.CharField(
        label=_("看到了什么"),
        max_length=2000,
        widget=forms.Textarea(
            attrs={"rows": 4, "placeholder": _("时间、地点、人员、车辆、物品等，越具体越好")}
        ),
    )
    photos = MultipleFileField(label=_("照片（可选）"), required=False)
    anonymous = forms.BooleanField(label=_("匿名举报（不留姓名和电话）"), required=False)
    reporter_name = forms.CharField(label=_("姓名（可选）"), max_length=50, required=False)
    reporter_phone = forms.CharField(
        label=_("手机号（可选）"),
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel", "autocomplete": "tel"}),
    )
    #: Honeypot: hidden from people by CSS; a form that fills it was filled by a program.
    website = forms.CharField(required=False, label=_("网址（请勿填写）"))
    started = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, categories, townships, villages, phone: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.phone = phone
        #: The page's token once checked: it keys the form's single filing (see ``tip_submit``).
        self.submission_key = ""
        self.fields["category"].queryset = categories
        self.fields["township"].queryset = townships
        self.fields["village"].queryset = villages
        max_photos = tip_setting("MAX_PHOTOS", 3)
        max_mb = tip_setting("PHOTO_MAX_BYTES", 5 * 1024 * 1024) // (1024 * 1024)
        self.fields["photos"].help_text = _("最多 %(n)d 张，每张不超过 %(mb)d MB（JPEG、PNG、WebP、GIF）") % {
            "n": max_photos,
            "mb": max_mb,
        }
        self.fields["photos"].widget.attrs["accept"] = "image/jpeg,image/png,image/webp,image/gif"
        if phone:
            self.fields["anonymous"].label = _("来电人要求匿名")
            self.fields["reporter_name"].label = _("来电人姓名")
            self.fields["reporter_phone"].label = _("来电号码")
            self.fields["description"].label = _("来电反映的问题")
            del self.fields["website"]
        if not self.is_bound:
            self.initial["started"] = started_token()

    def _check_human(self):
        """The honeypot must be empty and the page must have been open a few seconds: a person reads and types, a
        script posts at once. Both errors go to the top of the form (the fields are hidden)."""
        if self.data.get("website"):
            self.add_error(None, _("提交未成功，请刷新页面后重试。"))
            return
        try:
            started = signing.loads(
                self.data.get("started") or "",
                salt=STARTED_SALT,
                max_age=tip_setting("FORM_MAX_AGE_SECONDS", 86400),
            )
            started_at = _started_at(started)
        except signing.BadSignature:
            self.add_error(None, _("页面已过期，请检查内容后再次提交。"))
            return
        if time.time() - started_at < tip_setting("MIN_FILL_SECONDS", 3):
            self.add_error(None, _("提交太快了，请检查内容后再次提交。"))
            return
        self.submission_key = self.data.get("started") if isinstance(started, list) else ""

    def _check_phone_token(self):
        """The officer's form is not timed (a call is typed as it comes), but its token still keys one filing."""
        try:
            started = signing.loads(
                self.data.get("started") or "",
                salt=STARTED_SALT,
                max_age=tip_setting("FORM_MAX_AGE_SECONDS", 86400),
            )
            _started_at(started)
        except signing.BadSignature:
            return  # an old page or a script: filed without the double-send guard
        if isinstance(started, list):
            self.submission_key = self.data.get("started")

    def clean(self):
        data = super().clean()
        if self.phone:
            self._check_phone_token()
        else:
            self._check_human()
        township, village = data.get("township"), data.get("village")
        if township and village and village.parent_id != township.pk:
            self.add_error("village", _("所选村(社区)不属于该乡镇。"))
        return data

    @property
    def region(self) -> Region | None:
        return self.cleaned_data.get("village") or self.cleaned_data.get("township")


def place_querysets():
    townships = Region.objects.filter(level=Level.TOWNSHIP, is_active=True).order_by("code")
    villages = Region.objects.filter(level=Level.VILLAGE, is_active=True, parent__level=Level.TOWNSHIP)
    return townships, villages.order_by("code")


class TrackForm(forms.Form):
    code = forms.CharField(
        label=_("查询码"),
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "class": "masked"}
        ),
    )


class ClaimForm(forms.Form):
    code = forms.CharField(widget=forms.HiddenInput, max_length=20)
    secret = forms.CharField(
        label=_("领奖密钥"),
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "class": "masked"}
        ),
    )
    contact = forms.CharField(
        label=_("领奖联系电话"),
        max_length=30,
        required=False,
        help_text=_("匿名举报请填写，工作人员将通过此号码联系您发放奖励；号码加密保存，仅有奖举报办可见。"),
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel"}),
    )


class ApproveForm(forms.Form):
    amount = forms.IntegerField(label=_("核定金额（元）"), min_value=0, max_value=10_000_000)
    violation_confirmed = forms.BooleanField(label=_("违法事实已查证属实"), required=False)
    note = forms.CharField(label=_("审核意见"), max_length=300, required=False)


class RefuseForm(forms.Form):
    reason = forms.CharField(
        label=_("不予奖励的理由"), max_length=300, widget=forms.Textarea(attrs={"rows": 2})
    )


class PayForm(forms.Form):
    method = forms.ChoiceField(label=_("发放方式"), choices=Reward.Method.choices)
    reference = forms.CharField(label=_("凭证号"), max_length=100, required=False)
    paid_at = forms.DateTimeField(
        label=_("发放时间"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text=_("不填为现在"),
    )


class RevealForm(forms.Form):
    reason = forms.CharField(label=_("查看事由"), max_length=200)


class SpamForm(forms.Form):
    note = forms.CharField(label=_("作废理由"), max_length=300, widget=forms.Textarea(attrs={"rows": 2}))


class RuleForm(forms.ModelForm):
    class Meta:
        model = RewardRule
        fields = ["min_amount", "max_amount", "qualifies", "shared", "is_active"]
        widgets = {"qualifies": forms.Textarea(attrs={"rows": 2})}
