"""The columns of each ledger: Chinese headers as offices write them, English aliases, and what each means.
Import, the blank templates and the export all read these lists."""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    aliases: tuple[str, ...] = ()
    required: bool = False
    help: str = ""


#: Optional position of a household or place (WGS-84 degrees, as a phone or a map gives them); both or neither.
LOCATION_COLUMNS = [
    Column("longitude", "经度", ("longitude", "lng", "lon"), False, _("选填，73–136 之间，如 114.853216")),
    Column(
        "latitude", "纬度", ("latitude", "lat"), False, _("选填，3–54 之间，如 34.065127；与经度同时填写")
    ),
]

HOUSEHOLD_COLUMNS = [
    Column("code", "户编号", ("household_code", "code", "户号"), True, _("全县唯一的户编号")),
    Column("grid", "网格编码", ("grid_code", "grid"), True, _("15 位网格编码，须为已建网格")),
    Column("address", "地址", ("address", "住址"), True, _("门牌地址")),
    Column("head_name", "户主姓名", ("head_name", "户主"), True, _("户主姓名")),
    Column(
        "head_id",
        "户主身份证号",
        ("head_id", "head_id_number"),
        False,
        _("18 位身份证号，校验位和出生日期须正确"),
    ),
    Column("phone", "联系电话", ("phone", "电话", "手机号"), False, _("手机号或带区号的固定电话")),
    Column("members", "人口数", ("members", "人数"), False, _("1–99 的整数，默认 1")),
    Column("tags", "标签", ("tags",), False, _("多个标签用逗号或顿号分隔，如：独居老人、返乡")),
    *LOCATION_COLUMNS,
]

RESIDENT_COLUMNS = [
    Column("household", "户编号", ("household_code", "household"), True, _("所属户的户编号，户须已导入")),
    Column("name", "姓名", ("name",), True, _("居民姓名")),
    Column("id_number", "身份证号", ("id_number", "身份证号码", "公民身份号码"), True, _("18 位身份证号")),
    Column("relation", "与户主关系", ("relation",), False, _("如：户主、配偶、子、女")),
    Column("phone", "联系电话", ("phone", "电话", "手机号"), False, _("手机号或带区号的固定电话")),
    Column("tags", "标签", ("tags",), False, _("如：外出务工、返乡、独居老人")),
]

PLACE_COLUMNS = [
    Column("name", "名称", ("name", "场所名称", "单位名称"), True, _("场所或单位名称")),
    Column(
        "kind",
        "类型",
        ("kind", "场所类型"),
        True,
        _("商店、超市、烟花爆竹零售点、烟花爆竹仓库、重点企业、集贸市场、学校、餐饮店、其他"),
    ),
    Column(
        "industry",
        "行业",
        ("industry",),
        False,
        _("重点企业必填：危险化学品、烟花爆竹、工贸、建筑施工、道路运输、非煤矿山、燃气、其他"),
    ),
    Column("credit_code", "统一社会信用代码", ("credit_code", "uscc", "信用代码"), False, _("18 位，有则填")),
    Column("grid", "网格编码", ("grid_code", "grid"), True, _("15 位网格编码")),
    Column("address", "地址", ("address",), True, _("经营地址")),
    Column("person_in_charge", "负责人", ("person_in_charge", "法定代表人"), False, _("负责人姓名")),
    Column("phone", "联系电话", ("phone", "电话"), False, _("负责人电话")),
    Column("risk_level", "风险等级", ("risk_level",), False, _("低风险、一般风险、较大风险、重大风险")),
    Column("sells_fireworks", "销售烟花爆竹", ("sells_fireworks",), False, _("是 或 否")),
    Column(
        "registration_status",
        "排查登记状态",
        ("registration_status",),
        False,
        _("未排查、已登记、已排查·不售烟花、发现非法经营"),
    ),
    Column("tags", "标签", ("tags",), False, _("多个标签用逗号分隔")),
    *LOCATION_COLUMNS,
]

LICENCE_COLUMNS = [
    Column(
        "kind",
        "许可证种类",
        ("kind", "种类"),
        True,
        _("如：烟花爆竹经营(零售)许可证、烟花爆竹道路运输许可证、安全生产许可证"),
    ),
    Column("number", "证号", ("number", "许可证号", "编号"), True, _("许可证编号")),
    Column("holder_name", "持证单位", ("holder_name", "单位名称"), True, _("持证单位名称")),
    Column("credit_code", "统一社会信用代码", ("credit_code", "uscc"), False, _("填写后与已登记的场所关联")),
    Column("grid", "网格编码", ("grid_code", "grid"), False, _("持证单位所在网格；已关联场所的可不填")),
    Column("issuing_authority", "发证机关", ("issuing_authority",), True, _("如：太康县应急管理局")),
    Column("valid_from", "有效期起", ("valid_from",), True, _("日期，如 2026-01-01")),
    Column("valid_to", "有效期止", ("valid_to",), True, _("日期，不早于有效期起")),
    Column("product_types", "品种", ("product_types", "经营品种"), False, _("经营或运输的品种")),
    Column("max_storage", "最大存储量", ("max_storage",), False, _("零售许可证的最大存储量")),
    Column("consignor", "托运人", ("consignor",), False, _("运输许可证")),
    Column("carrier", "承运人", ("carrier",), False, _("运输许可证")),
    Column("origin", "起运地", ("origin",), False, _("运输许可证")),
    Column("destination", "目的地", ("destination",), False, _("运输许可证")),
    Column("route", "运输路线", ("route",), False, _("运输许可证")),
    Column("quantity", "运输数量", ("quantity",), False, _("运输许可证")),
]

COLUMNS = {
    "households": HOUSEHOLD_COLUMNS,
    "residents": RESIDENT_COLUMNS,
    "places": PLACE_COLUMNS,
    "licences": LICENCE_COLUMNS,
}
