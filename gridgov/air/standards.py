"""The national AQI tables and heavy-pollution warning presets, as data with their sources.

A data migration copies these constants into ``AqiTable``/``AqiBreakpoint`` and ``WarningPreset`` rows; from then on
the rows are what gridgov computes with, so a county corrects a value in the admin, not in code. Each indicator keeps
the citation it came from.

Indicators: ``<pollutant>_<averaging>``: so2_24h, so2_1h, no2_24h, no2_1h, pm10_24h, pm25_24h, co_24h, co_1h,
o3_1h, o3_8h. Concentrations in µg/m³ except CO in mg/m³. IAQI steps: 0, 50, 100, 150, 200, 300, 400, 500; an
indicator whose table stops earlier (SO2 1h at 200, O3 8h at 300) has an explicit rule for values above its top.
"""

IAQI_STEPS = (0, 50, 100, 150, 200, 300, 400, 500)

HJ633_2012_SOURCE = (
    "HJ 633—2012《环境空气质量指数（AQI）技术规定（试行）》表1 空气质量分指数及对应的污染物项目浓度限值，"
    "环境保护部 2012-02-29 发布，2016-01-01 实施"
)
HJ633_2026_SOURCE = (
    "HJ 633—2026《环境空气质量指数（AQI）技术规定》，生态环境部与国家市场监督管理总局 2026 年 2 月随 GB 3095—2026 "
    "发布，2026-03-01 实施；据生态环境部大气环境司负责人的公开介绍（2026-02-24/26 多家媒体转载），本次修订"
    "“更新了AQI中PM2.5和PM10的分级浓度限值”，GB 3095—2026 第一阶段 PM2.5 日均二级限值为 60 µg/m³。"
    "具体数值（PM2.5 与 PM10 的 IAQI=100 限值 60、120 µg/m³；SO2 1小时浓度高于 800 µg/m³ 时分指数按 200 计、"
    "O3 8小时浓度高于 800 µg/m³ 时分指数按 300 计；其余限值沿用 HJ 633—2012）与多家公开实现一致"
    "（caiyunapp/aqi-hub src/cn.rs 等），未能核对正式文本，县里可在管理后台更正。"
)

#: HJ 633—2012, table 1 (each value from the same table).
HJ633_2012 = {
    "so2_24h": (0, 50, 150, 475, 800, 1600, 2100, 2620),
    "so2_1h": (0, 150, 500, 650, 800),
    "no2_24h": (0, 40, 80, 180, 280, 565, 750, 940),
    "no2_1h": (0, 100, 200, 700, 1200, 2340, 3090, 3840),
    "pm10_24h": (0, 50, 150, 250, 350, 420, 500, 600),
    "co_24h": (0, 2, 4, 14, 24, 36, 48, 60),
    "co_1h": (0, 5, 10, 35, 60, 90, 120, 150),
    "o3_1h": (0, 160, 200, 300, 400, 800, 1000, 1200),
    "o3_8h": (0, 100, 160, 215, 265, 800),
    "pm25_24h": (0, 35, 75, 115, 150, 250, 350, 500),
}

#: Rules for values above an indicator's top breakpoint (HJ 633—2012 table 1, notes 2 and 3): SO2 1h above 800 is
#: scored with the SO2 24-hour table; O3 8h above 800 with the O3 1-hour value. Other indicators above their top
#: (IAQI 500) are reported at 500 and flagged "above the table" (the standard stops computing there).
HJ633_2012_ABOVE = {
    "so2_1h": {"use": "so2_24h"},
    "o3_8h": {"use": "o3_1h"},
}

HJ633_2026 = {
    **HJ633_2012,
    "pm25_24h": (0, 35, 60, 115, 150, 250, 350, 500),
    "pm10_24h": (0, 50, 120, 250, 350, 420, 500, 600),
}
HJ633_2026_ABOVE = {
    "so2_1h": {"iaqi": 200},
    "o3_8h": {"iaqi": 300},
}
#: Which values HJ 633—2026 changed (the rest are cited to HJ 633—2012).
HJ633_2026_CHANGED = {"pm25_24h", "pm10_24h", "so2_1h", "o3_8h"}

AQI_TABLES = [
    {
        "code": "HJ633-2012",
        "name": "HJ 633—2012",
        "valid_from": "2013-01-01",
        "source": HJ633_2012_SOURCE,
        "breakpoints": HJ633_2012,
        "above": HJ633_2012_ABOVE,
        "sources": {key: HJ633_2012_SOURCE for key in HJ633_2012},
    },
    {
        "code": "HJ633-2026",
        "name": "HJ 633—2026",
        "valid_from": "2026-03-01",
        "source": HJ633_2026_SOURCE,
        "breakpoints": HJ633_2026,
        "above": HJ633_2026_ABOVE,
        "sources": {
            key: (HJ633_2026_SOURCE if key in HJ633_2026_CHANGED else HJ633_2012_SOURCE) for key in HJ633_2026
        },
    },
]

# --- heavy-pollution warning presets ---------------------------------------------------------------------------
# A rule set is {level: [clause, ...]}: a level is reached when any clause holds; a clause holds when all its
# conditions hold; a condition {"above": A, "days": N} holds when the series has N consecutive days with daily AQI
# above A ({"at_least": A, "days": N}: AQI >= A). Levels are checked from red down; the first that holds wins.

WARNING_2018_SOURCE = (
    "环境保护部《重污染天气预警分级标准》（2017-09-20，随 2018 年各地重污染天气应急预案修订执行）："
    "蓝色 预测 AQI 日均值>200；黄色 >200 持续 2 天；橙色 >200 持续 3 天且出现 >300；"
    "红色 >200 持续 4 天且 >300 持续 2 天，或 AQI 达到 500 持续 1 天。gridgov 只发黄、橙、红三级，蓝色不发布。"
)
WARNING_2024_SOURCE = (
    "生态环境部等《关于进一步优化重污染天气应对机制的指导意见》（环大气〔2024〕6号）预警分级（文号见各地 2024 年"
    "修订的重污染天气应急预案所引；分级据公开转述，未能核对正式文本，尤其“日 AQI>150 持续 3 天”一条）："
    "黄色 预测日 AQI>200 持续 2 天，或日 AQI>150 持续 3 天；橙色 日 AQI>200 持续 3 天且出现 >300；"
    "红色 日 AQI>200 持续 4 天且 >300 持续 2 天，或日 AQI 达到 500 持续 1 天。不再设蓝色预警。"
)

WARNING_PRESETS = [
    {
        "code": "national-2018",
        "name": "全国重污染天气预警分级（2018）",
        "source": WARNING_2018_SOURCE,
        "rules": {
            "red": [
                [{"above": 200, "days": 4}, {"above": 300, "days": 2}],
                [{"at_least": 500, "days": 1}],
            ],
            "orange": [[{"above": 200, "days": 3}, {"above": 300, "days": 1}]],
            "yellow": [[{"above": 200, "days": 2}]],
        },
    },
    {
        "code": "national-2024",
        "name": "全国重污染天气预警分级（2024）",
        "source": WARNING_2024_SOURCE,
        "rules": {
            "red": [
                [{"above": 200, "days": 4}, {"above": 300, "days": 2}],
                [{"at_least": 500, "days": 1}],
            ],
            "orange": [[{"above": 200, "days": 3}, {"above": 300, "days": 1}]],
            "yellow": [[{"above": 200, "days": 2}], [{"above": 150, "days": 3}]],
        },
    },
]
