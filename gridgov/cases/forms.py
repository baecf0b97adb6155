"""Forms of the case pages. They parse and check the shape of input; the services judge it (a required reason,
a unit that may take the case), and their field errors are put back on these forms."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from gridgov.cases.models import CaseLink, CaseSource, CaseState, DeadlineUnit
from gridgov.cases.policies import CasePolicy
from gridgov.core.exceptions import NotFound
from gridgov.territory.selectors import access_region

#: Photos one report or one feedback may carry (a phone's camera roll, not an archive).
MAX_PHOTOS = 9


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files under one name (Django's documented pattern); cleans to a list, empty when none."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            files = [single(item, initial) for item in data if item]
        else:
            files = [single(data, initial)] if data else []
        if len(files) > MAX_PHOTOS:
            raise forms.ValidationError(_("一次最多上传 %(n)d 张照片。") % {"n": MAX_PHOTOS})
        return files


def photo_field(label):
    return MultipleFileField(
        label=label,
        required=False,
        widget=MultipleFileInput(attrs={"accept": "image/*", "capture": "environment", "multiple": True}),
        help_text=ngettext_lazy(
            "可拍照或从相册选择，最多 %(n)d 张，每张不超过 10 MB。",
            "可拍照或从相册选择，最多 %(n)d 张，每张不超过 10 MB。",
            "n",
        )
        % {"n": MAX_PHOTOS},
    )


def category_choices(categories):
    """Categories grouped by 大类, for a <select> with <optgroup>s; values are category ids."""
    groups: dict = {}
    for category in categories:
        groups.setdefault(category.group.name, []).append((str(category.pk), category.name))
    return [("", _("请选择类别")), *groups.items()]


class ReportForm(forms.Form):
    """上报问题 (grid workers, on a phone) and 热线登记 (staff, ``hotline=True``)."""

    category = forms.ChoiceField(label=_("问题类别"))
    region = forms.CharField(
        label=_("发生地（区划代码）"),
        max_length=15,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "off", "list": "region-options"}
        ),
        help_text=_("乡镇、村或网格的区划代码，可输入名称后从提示中选择。"),
    )
    title = forms.CharField(
        label=_("标题"),
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": _("一句话说明问题，如：村东头麦田焚烧秸秆")}),
    )
    description = forms.CharField(
        label=_("问题描述"),
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": _("看到了什么、规模多大、是否有人在场")}),
    )
    address = forms.CharField(
        label=_("具体位置"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("如：常营西村村委会东 200 米")}),
    )
    latitude = forms.CharField(required=False, widget=forms.HiddenInput)
    longitude = forms.CharField(required=False, widget=forms.HiddenInput)
    reporter_name = forms.CharField(label=_("来电人姓名"), max_length=50, required=False)
    reporter_contact = forms.CharField(
        label=_("来电号码"),
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel", "autocomplete": "off"}),
    )
    photos = photo_field(_("现场照片"))

    def __init__(self, *args, user, categories, fixed_region=None, hotline=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.hotline = hotline
        self.fixed_region = fixed_region
        self._categories = {str(c.pk): c for c in categories}
        self.fields["category"].choices = category_choices(categories)
        if fixed_region is not None:
            # A grid worker with exactly one grid reports in it: the place is known, nothing to type.
            self.fields["region"].widget = forms.HiddenInput()
            self.fields["region"].initial = fixed_region.code
        if hotline:
            self.fields["photos"].label = _("照片或截图（可选）")
            self.fields["title"].widget.attrs["placeholder"] = _("来电反映的问题")
        else:
            del self.fields["reporter_name"]
            del self.fields["reporter_contact"]

    def clean_category(self):
        category = self._categories.get(self.cleaned_data["category"])
        if category is None:
            raise forms.ValidationError(_("请选择在用的类别。"))
        return category

    def clean_region(self):
        code = self.cleaned_data["region"].strip()
        try:
            region = access_region(self.user, code, include_retired=False)
        except NotFound:
            raise forms.ValidationError(_("找不到该区划代码，或不在您的管辖范围内。")) from None
        if not CasePolicy.can_report(self.user, region):
            raise forms.ValidationError(_("您不能在该地点上报案件。"))
        return region

    @property
    def source(self) -> str:
        return CaseSource.HOTLINE if self.hotline else CaseSource.GRID_REPORT


NOTE_REQUIRED_ATTRS = {"rows": 2, "required": True}


class NoteForm(forms.Form):
    """An action with an optional note (立案, 签收, 结案, 批准延期, 恢复)."""

    note = forms.CharField(
        label=_("说明（可不填）"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReasonForm(forms.Form):
    """An action that needs a reason (作废, 回退, 返工, 驳回延期, 挂账). The service says what is missing."""

    note = forms.CharField(label=_("理由"), required=False, widget=forms.Textarea(attrs=NOTE_REQUIRED_ATTRS))

    def __init__(self, *args, label=None, **kwargs):
        super().__init__(*args, **kwargs)
        if label:
            self.fields["note"].label = label


class ResolveForm(forms.Form):
    note = forms.CharField(
        label=_("处置情况"),
        required=False,
        widget=forms.Textarea(attrs={**NOTE_REQUIRED_ATTRS, "placeholder": _("做了什么，结果如何")}),
    )
    photos = photo_field(_("处置后照片"))


class DispatchForm(forms.Form):
    """派遣: one responsible unit (a department or a township), optionally a named person.

    Both units are offered pre-selected (the department the category suggests, the township the place lies in);
    ``unit_kind`` says which one the commander sends the case to."""

    unit_kind = forms.ChoiceField(
        label=_("责任单位"),
        choices=[("department", _("职能部门")), ("township", _("属地乡镇"))],
        widget=forms.RadioSelect,
    )
    department = forms.ChoiceField(label=_("部门"), required=False)
    township = forms.ChoiceField(label=_("乡镇(街道)"), required=False)
    assignee = forms.ChoiceField(label=_("责任人（可不选）"), required=False)
    note = forms.CharField(
        label=_("派遣意见（可不填）"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, departments, townships, assignees, routing, **kwargs):
        super().__init__(*args, **kwargs)
        self.departments = {str(d.pk): d for d in departments}
        self.townships = {str(t.pk): t for t in townships}
        self.assignees = {str(user.pk): user for user, _unit in assignees}
        suggested, township = routing.get("department"), routing.get("township")

        def label(obj, hint, match):
            return _("%(name)s（%(hint)s）") % {"name": obj.name, "hint": hint} if match else obj.name

        self.fields["department"].choices = [
            ("", "—"),
            *(
                (k, label(d, _("建议"), suggested and d.pk == suggested.pk))
                for k, d in self.departments.items()
            ),
        ]
        self.fields["township"].choices = [
            ("", "—"),
            *((k, label(t, _("属地"), township and t.pk == township.pk)) for k, t in self.townships.items()),
        ]
        grouped: dict = {}
        for user, unit in assignees:
            grouped.setdefault(unit, []).append((str(user.pk), str(user)))
        self.fields["assignee"].choices = [("", _("不指定，由单位分派")), *grouped.items()]
        self.fields["department"].widget.attrs["onchange"] = "this.form.unit_kind.value='department'"
        self.fields["township"].widget.attrs["onchange"] = "this.form.unit_kind.value='township'"
        self.initial.setdefault("department", str(suggested.pk) if suggested else "")
        self.initial.setdefault("township", str(township.pk) if township else "")
        self.initial.setdefault("unit_kind", "department" if suggested else "township")

    def clean(self):
        data = super().clean()
        kind = data.get("unit_kind")
        if kind == "department":
            data["department_obj"] = self.departments.get(data.get("department") or "")
            if data["department_obj"] is None:
                self.add_error("department", _("请选择部门。"))
        elif kind == "township":
            data["township_obj"] = self.townships.get(data.get("township") or "")
            if data["township_obj"] is None:
                self.add_error("township", _("请选择乡镇(街道)。"))
        data["assignee_obj"] = self.assignees.get(data.get("assignee") or "")
        return data


class ExtensionForm(forms.Form):
    value = forms.IntegerField(
        label=_("延长"),
        min_value=1,
        max_value=60,
        initial=1,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    unit = forms.ChoiceField(label=_("单位"), choices=DeadlineUnit.choices, initial=DeadlineUnit.DAYS)
    note = forms.CharField(
        label=_("延期理由"), required=False, widget=forms.Textarea(attrs=NOTE_REQUIRED_ATTRS)
    )


class LinkForm(forms.Form):
    target = forms.CharField(
        label=_("关联案件编号"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "placeholder": "2026010100001"}),
    )
    kind = forms.ChoiceField(label=_("关系"), choices=CaseLink.Kind.choices)
    note = forms.CharField(label=_("说明（可不填）"), max_length=200, required=False)


class MergeForm(forms.Form):
    into = forms.CharField(
        label=_("并入案件编号"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
        help_text=_("本案作为重复案件并入该案，全部上报记录和附件随之转移。"),
    )
    note = forms.CharField(label=_("说明（可不填）"), max_length=200, required=False)


STATE_FILTER_CHOICES = [("", _("全部状态")), ("open", _("未办结")), *CaseState.choices]
OVERDUE_CHOICES = [("", _("不限")), ("1", _("已超期")), ("0", _("未超期"))]


class CaseFilterForm(forms.Form):
    """The filters of the case list (GET). Nothing here is required; an invalid value is reported, not ignored."""

    q = forms.CharField(
        label=_("搜索"),
        required=False,
        max_length=50,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("编号、标题或地点")}),
    )
    state = forms.ChoiceField(label=_("状态"), choices=STATE_FILTER_CHOICES, required=False)
    category = forms.ChoiceField(label=_("类别"), required=False)
    region = forms.CharField(
        label=_("区域代码"),
        required=False,
        max_length=15,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "list": "region-options", "autocomplete": "off"}
        ),
    )
    unit = forms.ChoiceField(label=_("责任单位"), required=False)
    overdue = forms.ChoiceField(label=_("超期"), choices=OVERDUE_CHOICES, required=False)
    source = forms.ChoiceField(
        label=_("来源"), choices=[("", _("全部来源")), *CaseSource.choices], required=False
    )

    def __init__(self, *args, user, categories, departments, townships, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        groups: dict = {}
        for category in categories:
            group = category.group
            if group.name not in groups:
                groups[group.name] = [(group.code, _("全部%(group)s") % {"group": group.name})]
            groups[group.name].append((category.code, category.name))
        self.fields["category"].choices = [("", _("全部类别")), *groups.items()]
        self.fields["unit"].choices = [
            ("", _("全部单位")),
            (_("职能部门"), [(f"department:{d.pk}", d.name) for d in departments]),
            (_("乡镇(街道)"), [(f"township:{t.pk}", t.name) for t in townships]),
        ]

    def clean_region(self):
        code = self.cleaned_data["region"].strip()
        if not code:
            return None
        try:
            return access_region(self.user, code)
        except NotFound:
            raise forms.ValidationError(_("找不到该区域，或不在您的管辖范围内。")) from None

    def selector_kwargs(self) -> dict:
        """The cleaned filters as keyword arguments of ``case_list``."""
        data = self.cleaned_data
        kind, _sep, pk = (data.get("unit") or "").partition(":")
        overdue = {"1": True, "0": False}.get(data.get("overdue") or "")
        return {
            "state": data.get("state") or "",
            "category": data.get("category") or "",
            "region": data.get("region"),
            "department_id": int(pk) if kind == "department" else None,
            "township_id": int(pk) if kind == "township" else None,
            "overdue": overdue,
            "source": data.get("source") or "",
            "q": data.get("q") or "",
        }
