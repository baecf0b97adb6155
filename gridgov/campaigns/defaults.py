"""The campaigns gridgov ships ready to use: the fireworks ban (烟花爆竹禁燃禁放) first, and an epidemic screening
that visits the same doors at the same time (把疫情防控检查和花爆竹禁燃禁放排查统筹结合起来，一体化进行).

A template is data: letters, forms with their questions and the case category each problem opens, and the kinds
of places the campaign covers. ``campaign_from_template`` creates a campaign from one; the county edits the
texts afterwards like any other campaign.
"""

FIREWORKS_HOUSEHOLD_LETTER = """为切实做好烟花爆竹禁燃禁放工作，保护大气环境，保障人民群众生命财产安全，本户郑重承诺：
一、自觉遵守县人民政府关于禁止燃放烟花爆竹的通告，在禁放区域、禁放时段内不燃放任何烟花爆竹；
二、不购买、不储存、不运输、不销售烟花爆竹，发现非法生产、经营、储存、燃放行为主动向村（社区）或网格员报告；
三、婚丧嫁娶等活动以电子鞭炮、鲜花、音乐等文明方式替代燃放；
四、教育家庭成员特别是未成年人遵守禁燃禁放规定，做到家喻户晓、人人知晓。
如有违反，自愿接受有关部门依法处理。

承诺户：{户主}　　地址：{地址}
{乡镇}{村}{网格}"""

FIREWORKS_SHOP_LETTER = """本经营场所（{场所}，地址：{地址}）郑重承诺：
一、严格遵守县人民政府烟花爆竹禁燃禁放规定，不采购、不储存、不销售任何烟花爆竹；
二、不为他人非法储存、运输烟花爆竹提供场地和便利；
三、在店内醒目位置张贴禁燃禁放告示，配合网格员和有关部门开展排查；
四、发现非法经营、储存烟花爆竹行为，立即向有关部门报告。
如有违反，自愿承担相应法律责任。

负责人：{户主}
{乡镇}{村}{网格}"""

FIREWORKS_HOUSEHOLD_FORM = [
    {
        "key": "stock_found",
        "label": "家中是否发现存放烟花爆竹？",
        "type": "yes_no",
        "required": True,
        "problem_if": True,
        "category": "fireworks_illegal_storage",
    },
    {"key": "letter_signed", "label": "是否已签订禁燃禁放承诺书？", "type": "yes_no", "required": True},
    {"key": "informed", "label": "是否已发放明白纸、讲解禁放规定？", "type": "yes_no", "required": True},
]

FIREWORKS_SHOP_FORM = [
    {
        "key": "selling",
        "label": "是否在销售烟花爆竹？",
        "type": "yes_no",
        "required": True,
        "problem_if": True,
        "category": "fireworks_illegal_sale",
    },
    {
        "key": "stock_found",
        "label": "是否发现烟花爆竹存货？",
        "type": "yes_no",
        "required": True,
        "problem_if": True,
        "category": "fireworks_illegal_storage",
    },
    {"key": "notice_posted", "label": "是否张贴禁售告示？", "type": "yes_no", "required": True},
]

EPIDEMIC_HOUSEHOLD_FORM = [
    {"key": "returned", "label": "家中是否有外地返乡人员？", "type": "yes_no", "required": True},
    {
        "key": "returnee_unreported",
        "label": "返乡人员是否未向村（社区）报备？",
        "type": "yes_no",
        "required": False,
        "problem_if": True,
        "category": "epidemic_unreported_returnee",
    },
    {
        "key": "unwell",
        "label": "家中是否有人发热、咳嗽等身体不适？",
        "type": "yes_no",
        "required": True,
        "problem_if": True,
        "category": "other_general",
    },
    {"key": "people_home", "label": "在家人数", "type": "number", "required": False},
]

TEMPLATES = {
    "fireworks": {
        "name": "烟花爆竹禁燃禁放专项行动",
        "kind": "fireworks",
        "description": "宣传到位、承诺到户、排查到店、检查到车：全县户户签订承诺书，商店超市逐一排查，"
        "运输车辆逐车核验，大喇叭全天候全时段播放。",
        "target_households": True,
        "target_place_kinds": ["shop", "supermarket", "market", "fireworks_retail"],
        "letters": {
            "household": ("烟花爆竹禁燃禁放承诺书", FIREWORKS_HOUSEHOLD_LETTER),
            "place": ("经营场所不销售烟花爆竹承诺书", FIREWORKS_SHOP_LETTER),
        },
        "forms": {
            "household": ("禁燃禁放入户排查", FIREWORKS_HOUSEHOLD_FORM),
            "place": ("商店超市烟花爆竹排查", FIREWORKS_SHOP_FORM),
        },
    },
    "epidemic": {
        "name": "冬春季疫情防控入户排查",
        "kind": "epidemic",
        "description": "与烟花爆竹禁燃禁放排查统筹结合、一体化进行：摸清返乡人员，关注身体不适人员。",
        "target_households": True,
        "target_place_kinds": [],
        "letters": {},
        "forms": {"household": ("返乡人员及健康状况排查", EPIDEMIC_HOUSEHOLD_FORM)},
    },
}
