"""Forms of the registry pages. They parse and check what a person typed; the services decide and store.

Personal numbers (ID, phones) are never put back into a form: the edit forms show the masked value as help text,
and an empty field means "leave it as it is" (``UNCHANGED``).
"""

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from gridgov.core.exceptions import NotFound
from gridgov.core.scope import scope_for
from gridgov.registry.models import ImportJob, Licence, Place, location_errors, parse_coordinate
from gridgov.registry.policies import WRITE_ROLES, RegistryPolicy
from gridgov.registry.selectors import access_place, household_list
from gridgov.registry.services.privacy import MIN_REASON_LENGTH
from gridgov.registry.services.records import UNCHANGED
from gridgov.territory.models import Level, Region
from gridgov.territory.selectors import access_region

#: The same separators the import accepts, so that a tag typed here and one typed in Excel agree.
TAG_SPLIT = re.compile(r"[,，、;；/\s]+")
#: Up to this many writable grids, the grid is a select (grouped by village); above it, a code to type.
GRID_SELECT_MAX = 80
COMMON_TAGS = ("独居老人", "留守儿童", "外出务工", "返乡", "低保户", "残疾人", "退役军人", "重点人员")
RELATIONS = ("户主", "配偶", "子", "女", "父亲", "母亲", "孙子", "孙女", "兄弟姐妹", "儿媳", "女婿", "其他")

YES_NO = [("", _("全部")), ("yes", _("是")), ("no", _("否"))]


ALL = _("全部")


def _blank(choices, label=ALL):
    return [("", label), *choices]


def split_tags(text: str) -> list[str]:
    return [t for t in TAG_SPLIT.split(text or "") if t]


# --- list filters ----------------------------------------------------------------------------------------


class _FilterForm(forms.Form):
    """GET filters: every field optional; a value that does not parse is dropped, never an error page."""

    q = forms.CharField(label=_("搜索"), required=False, max_length=60)

    def values(self) -> dict:
        self.is_valid()
        return {name: self.cleaned_data.get(name) or "" for name in self.fields}


class HouseholdFilterForm(_FilterForm):
    tag = forms.CharField(label=_("标签"), required=False, max_length=30)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["q"].widget.attrs["placeholder"] = _("户编号、户主、地址或身份证号")


class ResidentFilterForm(_FilterForm):
    tag = forms.CharField(label=_("标签"), required=False, max_length=30)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["q"].widget.attrs["placeholder"] = _("姓名、户编号、地址或身份证号")


class PlaceFilterForm(_FilterForm):
    kind = forms.ChoiceField(label=_("类型"), required=False, choices=_blank(Place.Kind.choices))
    registration = forms.ChoiceField(
        label=_("排查登记"), required=False, choices=_blank(Place.Registration.choices)
    )
    sells_fireworks = forms.ChoiceField(label=_("销售烟花爆竹"), required=False, choices=YES_NO)
    tag = forms.CharField(label=_("标签"), required=False, max_length=30)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["q"].widget.attrs["placeholder"] = _("名称、地址或信用代码")


class LicenceFilterForm(_FilterForm):
    kind = forms.ChoiceField(label=_("种类"), required=False, choices=_blank(Licence.Kind.choices))
    expiry = forms.ChoiceField(
        label=_("有效期"),
        required=False,
        choices=_blank([("expired", _("已过期")), ("expiring", _("30 天内到期")), ("valid", _("有效"))]),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["q"].widget.attrs["placeholder"] = _("证号或持证单位")


# --- shared fields -----------------------------------------------------------------------------------------


def writable_grid_choices(user, kind: str):
    """Grids the user may register records in, grouped by village, or None when there are too many to list
    (a county has thousands: then the grid code is typed and checked)."""
    grids = list(
        Region.objects.filter(scope_for(user).region_q(WRITE_ROLES[kind]), level=Level.GRID, is_active=True)
        .select_related("parent")
        .order_by("path")[: GRID_SELECT_MAX + 1]
    )
    if len(grids) > GRID_SELECT_MAX:
        return None
    groups: dict[str, list] = {}
    for grid in grids:
        village = grid.parent.name if grid.parent_id else ""
        groups.setdefault(village, []).append((grid.code, f"{grid.name}（{grid.code}）"))
    return [("", _("请选择网格")), *groups.items()]


class _RecordForm(forms.Form):
    """A create/edit form bound to a user (whose scope checks the grid) and optionally to the record edited."""

    kind = ""
    personal_fields: tuple[str, ...] = ()
    #: Fields that take the whole row of the two-column layout on wide screens.
    wide_fields = ("address", "tags", "route")

    def __init__(self, *args, user, instance=None, **kwargs):
        self.user = user
        self.instance = instance
        super().__init__(*args, **kwargs)
        if instance is None:
            self.fields.pop("is_active", None)
            self.fields.pop("clear_phone", None)
        elif not getattr(instance, "phone_masked", ""):
            self.fields.pop("clear_phone", None)
        if "grid" in self.fields:
            self._setup_grid_field()
        for name in self.personal_fields:
            masked = getattr(instance, f"{self.masked_attr(name)}", "") if instance else ""
            if masked:
                self.fields[name].required = False
                self.fields[name].help_text = _("当前：%(masked)s。不修改请留空。") % {"masked": masked}
        for name in ("phone", "head_id", "id_number"):
            if name in self.fields:
                self.fields[name].widget.attrs.setdefault("autocomplete", "off")

    @staticmethod
    def masked_attr(name: str) -> str:
        return {"head_id": "head_id_masked", "id_number": "id_masked", "phone": "phone_masked"}[name]

    def _setup_grid_field(self):
        field = self.fields["grid"]
        choices = writable_grid_choices(self.user, self.kind)
        current = getattr(self.instance, "grid", None) if self.instance else None
        if choices is not None:
            if current is not None and current.code not in {
                code for _group, items in choices[1:] for code, _label in items
            }:
                choices.append((_("当前"), [(current.code, f"{current.name}（{current.code}）")]))
            field.widget = forms.Select(choices=choices)
        else:
            field.widget = forms.TextInput(
                attrs={"inputmode": "numeric", "maxlength": 15, "placeholder": _("15 位网格编码")}
            )
            field.help_text = _("填写网格的 15 位编码，可在“网格”页面查到。")
        if current is not None:
            self.initial.setdefault("grid", current.code)

    def clean_grid(self):
        code = (self.cleaned_data.get("grid") or "").strip()
        if not code:
            return None
        current = getattr(self.instance, "grid", None) if self.instance else None
        if current is not None and current.code == code:
            return current
        try:
            grid = access_region(self.user, code)
        except NotFound:
            raise forms.ValidationError(
                _("网格编码 %(code)s 不存在或不在您的管辖范围内。") % {"code": code[:15]}
            ) from None
        if grid.level != Level.GRID or not grid.is_active:
            raise forms.ValidationError(
                _("%(name)s 不是在用的网格，请填写网格的 15 位编码。") % {"name": grid.name}
            )
        if not RegistryPolicy.can_write_path(self.user, self.kind, grid.path):
            raise forms.ValidationError(_("您不能在网格 %(name)s 登记。") % {"name": grid.name})
        return grid

    def clean_tags(self):
        tags = split_tags(self.cleaned_data.get("tags", ""))
        if any(len(t) > 20 for t in tags):
            raise forms.ValidationError(_("每个标签不超过 20 个字。"))
        if len("|".join(tags)) > 280:
            raise forms.ValidationError(_("标签太多了。"))
        return tags

    def _personal(self, name: str):
        """The typed value, or UNCHANGED when an edit leaves a personal number empty."""
        value = (self.cleaned_data.get(name) or "").strip()
        if self.instance is not None and not value:
            if name == "phone" and self.cleaned_data.get("clear_phone"):
                return ""
            return UNCHANGED
        return value

    def to_data(self) -> dict:
        raise NotImplementedError

    def _plain(self, names) -> dict:
        return {name: self.cleaned_data[name] for name in names if name in self.cleaned_data}

    def _grid_data(self) -> dict:
        grid = self.cleaned_data.get("grid")
        current = getattr(self.instance, "grid", None) if self.instance else None
        if grid is None or (current is not None and grid.pk == current.pk):
            return {}
        return {"grid": grid}


def _tags_initial(instance) -> str:
    return "、".join(instance.tag_list) if instance is not None else ""


def _coordinate_field(label, placeholder):
    return forms.CharField(
        label=label,
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "placeholder": placeholder}),
    )


class _LocatedForm(_RecordForm):
    """经度/纬度 of a household or place: optional, both or neither, inside China."""

    longitude = _coordinate_field(_("经度"), "114.853216")
    latitude = _coordinate_field(_("纬度"), "34.065127")

    def __init__(self, *args, instance=None, **kwargs):
        super().__init__(*args, instance=instance, **kwargs)
        for name in ("longitude", "latitude"):  # after the record's own fields
            self.fields[name] = self.fields.pop(name)
        if instance is not None and instance.has_location:
            self.initial.setdefault("longitude", str(instance.longitude))
            self.initial.setdefault("latitude", str(instance.latitude))
            self.fields["longitude"].help_text = _("来源：%(source)s") % {
                "source": instance.get_location_source_display()
            }

    def _coordinate(self, name: str, label: str):
        try:
            return parse_coordinate(self.cleaned_data.get(name), label)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None

    def clean_longitude(self):
        return self._coordinate("longitude", _("经度"))

    def clean_latitude(self):
        return self._coordinate("latitude", _("纬度"))

    def clean(self):
        data = super().clean()
        if "longitude" in data and "latitude" in data:
            for name, message in location_errors(data["longitude"], data["latitude"]).items():
                self.add_error(name, message)
        return data

    def _location_data(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in ("longitude", "latitude")}


class HouseholdForm(_LocatedForm):
    kind = "households"
    personal_fields = ("head_id", "phone")

    code = forms.CharField(label=_("户编号"), max_length=32)
    grid = forms.CharField(label=_("网格"), max_length=15)
    address = forms.CharField(label=_("地址"), max_length=200)
    head_name = forms.CharField(label=_("户主姓名"), max_length=50)
    head_id = forms.CharField(
        label=_("户主身份证号"),
        max_length=22,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "text"}),
    )
    phone = forms.CharField(
        label=_("联系电话"), max_length=20, required=False, widget=forms.TextInput(attrs={"type": "tel"})
    )
    clear_phone = forms.BooleanField(label=_("清空联系电话"), required=False)
    members = forms.IntegerField(label=_("人口数"), min_value=1, max_value=99, initial=1)
    tags = forms.CharField(
        label=_("标签"),
        max_length=300,
        required=False,
        help_text=_("多个标签用顿号或逗号分隔，如：独居老人、返乡"),
        widget=forms.TextInput(attrs={"list": "registry-tags"}),
    )
    is_active = forms.BooleanField(label=_("在册"), required=False)

    def __init__(self, *args, instance=None, **kwargs):
        if instance is not None:
            kwargs.setdefault(
                "initial",
                {
                    "code": instance.code,
                    "address": instance.address,
                    "head_name": instance.head_name,
                    "members": instance.members,
                    "tags": _tags_initial(instance),
                    "is_active": instance.is_active,
                },
            )
        super().__init__(*args, instance=instance, **kwargs)

    def clean_code(self):
        return self.cleaned_data["code"].strip()

    def to_data(self) -> dict:
        data = self._plain(["code", "address", "head_name", "members", "tags", "is_active"])
        data.update(self._grid_data())
        data["head_id"] = self._personal("head_id")
        data["phone"] = self._personal("phone")
        data.update(self._location_data())
        return data


class ResidentForm(_RecordForm):
    kind = "residents"
    personal_fields = ("id_number", "phone")

    household = forms.CharField(label=_("户编号"), max_length=32, help_text=_("居民所属户的户编号"))
    name = forms.CharField(label=_("姓名"), max_length=50)
    id_number = forms.CharField(label=_("身份证号"), max_length=22)
    relation = forms.CharField(
        label=_("与户主关系"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"list": "registry-relations"}),
    )
    phone = forms.CharField(
        label=_("联系电话"), max_length=20, required=False, widget=forms.TextInput(attrs={"type": "tel"})
    )
    clear_phone = forms.BooleanField(label=_("清空联系电话"), required=False)
    tags = forms.CharField(
        label=_("标签"),
        max_length=300,
        required=False,
        help_text=_("如：外出务工、返乡、独居老人"),
        widget=forms.TextInput(attrs={"list": "registry-tags"}),
    )
    is_active = forms.BooleanField(label=_("在册"), required=False)

    def __init__(self, *args, instance=None, household=None, **kwargs):
        initial = kwargs.setdefault("initial", {})
        if instance is not None:
            initial.update(
                {
                    "household": instance.household.code,
                    "name": instance.name,
                    "relation": instance.relation,
                    "tags": _tags_initial(instance),
                    "is_active": instance.is_active,
                }
            )
        elif household is not None:
            initial["household"] = household.code
        super().__init__(*args, instance=instance, **kwargs)

    def clean_household(self):
        code = self.cleaned_data["household"].strip()
        if self.instance is not None and self.instance.household.code == code:
            return self.instance.household
        household = household_list(user=self.user, active=None).filter(code=code).first()
        if household is None:
            raise forms.ValidationError(
                _("户编号 %(code)s 不存在或不在您的管辖范围内。") % {"code": code[:32]}
            )
        if not RegistryPolicy.can_write_path(self.user, self.kind, household.grid.path):
            raise forms.ValidationError(_("您不能在户 %(code)s 登记居民。") % {"code": code[:32]})
        return household

    def to_data(self) -> dict:
        data = self._plain(["name", "relation", "tags", "is_active"])
        household = self.cleaned_data["household"]
        if self.instance is None or household.pk != self.instance.household_id:
            data["household"] = household
        data["id_number"] = self._personal("id_number")
        data["phone"] = self._personal("phone")
        return data


class PlaceForm(_LocatedForm):
    kind = "places"
    personal_fields = ("phone",)

    name = forms.CharField(label=_("名称"), max_length=100)
    place_kind = forms.ChoiceField(label=_("类型"), choices=_blank(Place.Kind.choices, _("请选择")))
    industry = forms.ChoiceField(
        label=_("行业"),
        required=False,
        choices=_blank(Place.Industry.choices, "—"),
        help_text=_("重点企业必填"),
    )
    credit_code = forms.CharField(label=_("统一社会信用代码"), max_length=22, required=False)
    grid = forms.CharField(label=_("网格"), max_length=15)
    address = forms.CharField(label=_("地址"), max_length=200)
    person_in_charge = forms.CharField(label=_("负责人"), max_length=50, required=False)
    phone = forms.CharField(
        label=_("联系电话"), max_length=20, required=False, widget=forms.TextInput(attrs={"type": "tel"})
    )
    clear_phone = forms.BooleanField(label=_("清空联系电话"), required=False)
    risk_level = forms.ChoiceField(label=_("风险等级"), choices=Place.Risk.choices, initial=Place.Risk.LOW)
    sells_fireworks = forms.BooleanField(label=_("销售烟花爆竹"), required=False)
    tags = forms.CharField(label=_("标签"), max_length=300, required=False)
    is_active = forms.BooleanField(label=_("在册"), required=False)

    #: The service's field names that this form names differently ("kind" is the form's ledger kind).
    service_names = {"kind": "place_kind"}

    def __init__(self, *args, instance=None, **kwargs):
        if instance is not None:
            kwargs.setdefault(
                "initial",
                {
                    "name": instance.name,
                    "place_kind": instance.kind,
                    "industry": instance.industry,
                    "credit_code": instance.credit_code,
                    "address": instance.address,
                    "person_in_charge": instance.person_in_charge,
                    "risk_level": instance.risk_level,
                    "sells_fireworks": instance.sells_fireworks,
                    "tags": _tags_initial(instance),
                    "is_active": instance.is_active,
                },
            )
        super().__init__(*args, instance=instance, **kwargs)

    def clean(self):
        data = super().clean()
        if data.get("place_kind") == Place.Kind.KEY_ENTERPRISE and not data.get("industry"):
            self.add_error("industry", _("重点企业须填写行业。"))
        return data

    def to_data(self) -> dict:
        data = self._plain(
            ["name", "industry", "address", "person_in_charge", "risk_level", "sells_fireworks", "tags"]
        )
        data["kind"] = self.cleaned_data["place_kind"]
        if "is_active" in self.cleaned_data:
            data["is_active"] = self.cleaned_data["is_active"]
        data["credit_code"] = (self.cleaned_data.get("credit_code") or "").strip()
        data.update(self._grid_data())
        data["phone"] = self._personal("phone")
        data.update(self._location_data())
        return data


class LicenceForm(_RecordForm):
    kind = "licences"

    licence_kind = forms.ChoiceField(label=_("种类"), choices=_blank(Licence.Kind.choices, _("请选择")))
    number = forms.CharField(label=_("证号"), max_length=64)
    holder_name = forms.CharField(label=_("持证单位"), max_length=100)
    place = forms.IntegerField(required=False, widget=forms.HiddenInput)
    grid = forms.CharField(
        label=_("网格"),
        max_length=15,
        required=False,
        help_text=_("已关联持证场所的，可不填（取场所所在网格）"),
    )
    issuing_authority = forms.CharField(label=_("发证机关"), max_length=100)
    valid_from = forms.DateField(label=_("有效期起"), widget=forms.DateInput(attrs={"type": "date"}))
    valid_to = forms.DateField(label=_("有效期止"), widget=forms.DateInput(attrs={"type": "date"}))
    product_types = forms.CharField(label=_("品种"), max_length=200, required=False)
    max_storage = forms.CharField(label=_("最大存储量"), max_length=50, required=False)
    consignor = forms.CharField(label=_("托运人"), max_length=100, required=False)
    carrier = forms.CharField(label=_("承运人"), max_length=100, required=False)
    origin = forms.CharField(label=_("起运地"), max_length=100, required=False)
    destination = forms.CharField(label=_("目的地"), max_length=100, required=False)
    route = forms.CharField(label=_("运输路线"), max_length=200, required=False)
    quantity = forms.CharField(label=_("运输数量"), max_length=50, required=False)
    is_revoked = forms.BooleanField(label=_("已吊销"), required=False)

    TEXT_FIELDS = [
        "number",
        "holder_name",
        "issuing_authority",
        "valid_from",
        "valid_to",
        "product_types",
        "max_storage",
        "consignor",
        "carrier",
        "origin",
        "destination",
        "route",
        "quantity",
    ]
    TRANSPORT_FIELDS = ("consignor", "carrier", "origin", "destination", "route", "quantity")
    service_names = {"kind": "licence_kind"}

    def __init__(self, *args, instance=None, place=None, **kwargs):
        initial = kwargs.setdefault("initial", {})
        if instance is not None:
            initial.update({name: getattr(instance, name) for name in self.TEXT_FIELDS})
            initial.update(
                {"licence_kind": instance.kind, "place": instance.place_id, "is_revoked": instance.is_revoked}
            )
        elif place is not None:
            initial.update({"place": place.pk, "holder_name": place.name})
        super().__init__(*args, instance=instance, **kwargs)
        if instance is None:
            self.fields.pop("is_revoked")
        self.place_obj = place if place is not None else (instance.place if instance is not None else None)

    def clean_place(self):
        pk = self.cleaned_data.get("place")
        if not pk:
            return None
        try:
            place = access_place(self.user, pk)
        except NotFound:
            raise forms.ValidationError(_("持证场所不存在或不在您的管辖范围内。")) from None
        self.place_obj = place
        return place

    def clean(self):
        data = super().clean()
        if not data.get("place") and not data.get("grid") and "grid" not in self.errors:
            self.add_error("grid", _("未关联持证场所时，请选择网格。"))
        return data

    def to_data(self) -> dict:
        data = self._plain([*self.TEXT_FIELDS, "is_revoked"])
        data["kind"] = self.cleaned_data["licence_kind"]
        place = self.cleaned_data.get("place")
        if self.instance is None or (place is not None and place.pk != self.instance.place_id):
            data["place"] = place
        data.update(self._grid_data())
        return data

    def transport_fields(self):
        return [self[name] for name in self.TRANSPORT_FIELDS]

    def main_fields(self):
        return [f for f in self if f.name not in self.TRANSPORT_FIELDS and not f.is_hidden]


# --- actions ----------------------------------------------------------------------------------------------


class UnmaskForm(forms.Form):
    reason = forms.CharField(
        label=_("查看事由"),
        max_length=200,
        min_length=MIN_REASON_LENGTH,
        help_text=_("如：入户核实身份、办理低保审核。查看将记入个人信息访问日志。"),
    )


class PlaceCheckForm(forms.Form):
    registration_status = forms.ChoiceField(
        label=_("排查结果"), choices=Place.Registration.choices, widget=forms.RadioSelect
    )
    sells_fireworks = forms.BooleanField(label=_("销售烟花爆竹"), required=False)

    def clean(self):
        data = super().clean()
        status, sells = data.get("registration_status"), data.get("sells_fireworks")
        if status == Place.Registration.NO_FIREWORKS and sells:
            self.add_error("sells_fireworks", _("排查结果为“不售烟花”，不能同时勾选销售烟花爆竹。"))
        if status == Place.Registration.REGISTERED and not sells:
            self.add_error("sells_fireworks", _("已登记的烟花爆竹销售场所须勾选销售烟花爆竹。"))
        return data


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("台账类别"), choices=ImportJob.Kind.choices)
    file = forms.FileField(
        label=_("文件"),
        help_text=_("Excel（.xlsx）或 CSV（UTF-8 或 GB18030 编码），第一行为列名。"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )


class ExportForm(forms.Form):
    region = forms.CharField(widget=forms.HiddenInput, required=False)
    by_township = forms.BooleanField(label=_("按乡镇分表"), required=False)
    reason = forms.CharField(
        label=_("导出明文事由"),
        max_length=200,
        min_length=MIN_REASON_LENGTH,
        help_text=_("导出含身份证号、电话明文的台账，将记入个人信息访问日志。"),
    )
