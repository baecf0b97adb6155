"""The demo county's accounts (README lists them). One shared password: settings.GRIDGOV_DEMO_PASSWORD."""

from dataclasses import dataclass

from gridgov.core.roles import Role
from gridgov.registry.policies import UNMASK_PERMISSION

COUNTY_CODE = "411627"  # 太康县
CHANGYING_CODE = "411627101"  # 常营镇
WANGJI_CODE = "411627202"  # 王集乡


@dataclass(frozen=True)
class DemoAccount:
    username: str
    display_name: str
    role: str
    region: str  # a region code, or "grid:<township code>" for the first grid of that township
    department: str | None
    description: str
    permissions: tuple[str, ...] = ()  # "app_label.codename", granted by load_demo


DEMO_ACCOUNTS = [
    DemoAccount(
        "admin",
        "系统管理员",
        Role.COUNTY_ADMIN,
        COUNTY_CODE,
        None,
        "系统管理员（全县；可查看个人信息明文）",
        (UNMASK_PERMISSION,),
    ),
    DemoAccount(
        "supervisor", "监督中心值班员", Role.SUPERVISOR, COUNTY_CODE, None, "监督中心：立案、核查、结案"
    ),
    DemoAccount("commander", "指挥中心调度员", Role.COMMANDER, COUNTY_CODE, None, "指挥中心：派遣、延期审批"),
    DemoAccount("leader", "县领导", Role.LEADER, COUNTY_CODE, None, "县领导：只读看板与通报"),
    DemoAccount("reward", "有奖举报办", Role.REWARD_OFFICER, COUNTY_CODE, None, "有奖举报办：举报人与奖励"),
    DemoAccount("yingji", "应急管理局处置员", Role.DEPARTMENT_OFFICER, COUNTY_CODE, "yingji", "县应急管理局"),
    DemoAccount(
        "huanbao", "环境攻坚办处置员", Role.DEPARTMENT_OFFICER, COUNTY_CODE, "huanbao", "县环境攻坚办"
    ),
    DemoAccount(
        "changying",
        "常营镇工作人员",
        Role.TOWNSHIP_OFFICER,
        CHANGYING_CODE,
        None,
        "常营镇乡镇工作人员（可查看本镇个人信息明文）",
        (UNMASK_PERMISSION,),
    ),
    DemoAccount("wangji", "王集乡工作人员", Role.TOWNSHIP_OFFICER, WANGJI_CODE, None, "王集乡乡镇工作人员"),
    DemoAccount(
        "grid1", "常营镇网格员", Role.GRID_WORKER, "grid:" + CHANGYING_CODE, None, "常营镇第一个网格的网格员"
    ),
    DemoAccount(
        "grid2", "王集乡网格员", Role.GRID_WORKER, "grid:" + WANGJI_CODE, None, "王集乡第一个网格的网格员"
    ),
]

#: (code, name, short name) of the county's departments in the demo.
DEMO_DEPARTMENTS = [
    ("yingji", "县应急管理局", "应急局"),
    ("huanbao", "县生态环境局（环境攻坚办）", "环境攻坚办"),
    ("gongan", "县公安局", "公安局"),
    ("shijian", "县市场监督管理局", "市场监管局"),
    ("weijian", "县卫生健康委员会", "卫健委"),
    ("jiaotong", "县交通运输局", "交通局"),
    ("chengguan", "县城市管理局", "城管局"),
    ("nongye", "县农业农村局", "农业农村局"),
    ("zhujian", "县住房和城乡建设局", "住建局"),
    ("jiaoyu", "县教育体育局", "教体局"),
]
