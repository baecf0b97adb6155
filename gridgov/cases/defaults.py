"""The categories gridgov ships with: what the county's campaigns need, with plausible deadlines.

(group code, group name, [(code, name, department code, deadline, unit, reward, public, 立案条件, 结案条件)])
A county admin edits them afterwards; the data migration only creates what is missing.
"""

H, D = "hours", "days"

DEFAULT_CATEGORIES = [
    (
        "fireworks",
        "烟花爆竹",
        [
            (
                "fireworks_illegal_sale",
                "非法销售",
                "gongan",
                4,
                H,
                True,
                True,
                "发现未取得许可证销售烟花爆竹的场所或流动摊点",
                "查扣违法物品，依法处罚，场所登记为已排查",
            ),
            (
                "fireworks_illegal_storage",
                "非法储存",
                "gongan",
                4,
                H,
                True,
                True,
                "发现居民区、商店、仓库等非法储存烟花爆竹",
                "违法储存物品已清理转移至合规仓库或销毁",
            ),
            (
                "fireworks_illegal_transport",
                "非法运输",
                "gongan",
                2,
                H,
                True,
                True,
                "发现无道路运输许可证运输烟花爆竹的车辆",
                "车辆、物品已查扣，承运人已处理",
            ),
            (
                "fireworks_banned_area",
                "禁放区域燃放",
                "gongan",
                2,
                H,
                True,
                True,
                "禁放区域内燃放烟花爆竹",
                "当事人已教育或处罚，现场已清理",
            ),
            (
                "fireworks_illegal_production",
                "非法生产",
                "yingji",
                1,
                D,
                True,
                True,
                "发现非法生产、加工烟花爆竹的窝点",
                "窝点已取缔，原料成品已没收销毁",
            ),
        ],
    ),
    (
        "work_safety",
        "安全生产隐患",
        [
            (
                "safety_hazardous_chemicals",
                "危险化学品",
                "yingji",
                3,
                D,
                True,
                True,
                "危险化学品生产、储存、经营、使用环节存在隐患",
                "隐患已整改并经复查确认",
            ),
            (
                "safety_fireworks_business",
                "烟花爆竹经营",
                "yingji",
                2,
                D,
                True,
                True,
                "烟花爆竹经营场所超量储存、安全距离不足等隐患",
                "隐患已整改并经复查确认",
            ),
            (
                "safety_industry_trade",
                "工贸企业",
                "yingji",
                5,
                D,
                False,
                True,
                "工贸企业存在设备、用电、消防等隐患",
                "隐患已整改并经复查确认",
            ),
            (
                "safety_construction",
                "建筑施工",
                "zhujian",
                3,
                D,
                False,
                True,
                "施工现场存在高处坠落、坍塌等隐患",
                "隐患已整改并经复查确认",
            ),
            (
                "safety_road_transport",
                "道路运输",
                "jiaotong",
                3,
                D,
                False,
                True,
                "客货运输车辆、场站存在安全隐患",
                "隐患已整改并经复查确认",
            ),
            (
                "safety_gas",
                "燃气",
                "zhujian",
                1,
                D,
                False,
                True,
                "燃气管道、瓶装燃气存在泄漏等隐患",
                "隐患已消除",
            ),
        ],
    ),
    (
        "air",
        "大气污染",
        [
            (
                "air_open_burning",
                "露天焚烧/秸秆焚烧",
                "huanbao",
                2,
                H,
                True,
                True,
                "发现露天焚烧秸秆、垃圾等",
                "火点已扑灭，过火面积已清理，责任人已处理",
            ),
            (
                "air_dust",
                "扬尘",
                "huanbao",
                1,
                D,
                False,
                True,
                "工地、道路、堆场未落实扬尘防治措施",
                "已覆盖、洒水或停工整改",
            ),
            (
                "air_industrial_emission",
                "工业排放",
                "huanbao",
                2,
                D,
                False,
                True,
                "企业超标排放或治污设施未运行",
                "排放已达标，设施恢复运行",
            ),
        ],
    ),
    (
        "rural_environment",
        "农村人居环境",
        [
            (
                "rural_white_litter",
                "白色垃圾",
                None,
                2,
                D,
                False,
                True,
                "道路沿线、村庄、沟渠有白色垃圾",
                "垃圾已清理",
            ),
            (
                "rural_outside_store",
                "店外经营",
                None,
                1,
                D,
                False,
                True,
                "乡镇政府所在地商户占道、店外经营",
                "已恢复店内经营",
            ),
            ("rural_piling", "乱堆乱放", None, 3, D, False, True, "柴草、杂物、建材乱堆乱放", "已清理或规整"),
        ],
    ),
    (
        "epidemic",
        "疫情防控",
        [
            (
                "epidemic_unreported_returnee",
                "未报备返乡人员",
                "weijian",
                4,
                H,
                False,
                True,
                "发现未按规定报备的返乡人员",
                "已报备并按政策落实健康管理",
            ),
            (
                "epidemic_gathering",
                "违规聚集",
                None,
                4,
                H,
                False,
                True,
                "违反防控政策组织聚集性活动",
                "活动已停止，组织者已教育",
            ),
        ],
    ),
    (
        "other",
        "其他",
        [
            ("other_general", "其他问题", None, 5, D, False, False, "不属于以上类别的问题", "问题已处置"),
        ],
    ),
]


def ensure_default_categories(category_group_model, category_model) -> int:
    """Creates the shipped categories that do not exist yet; returns how many were created."""
    created = 0
    for group_index, (group_code, group_name, categories) in enumerate(DEFAULT_CATEGORIES, start=1):
        group, _ = category_group_model.objects.get_or_create(
            code=group_code, defaults={"name": group_name, "sort_order": group_index * 10}
        )
        for index, (code, name, department, value, unit, reward, public, opens, closes) in enumerate(
            categories, 1
        ):
            _category, was_created = category_model.objects.get_or_create(
                code=code,
                defaults={
                    "group": group,
                    "name": name,
                    "default_department_code": department or "",
                    "deadline_value": value,
                    "deadline_unit": unit,
                    "reward_eligible": reward,
                    "public": public,
                    "register_condition": opens,
                    "close_condition": closes,
                    "sort_order": index * 10,
                },
            )
            created += was_created
    return created
