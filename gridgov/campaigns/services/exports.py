"""Ledger exports (台账) of a campaign in the county's style: one sheet, a bold blue header row, township and
village first, written with constant memory. Ledgers are written in Chinese whatever the interface language."""

from pathlib import Path

import xlsxwriter
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from gridgov.campaigns import selectors
from gridgov.campaigns.models import Campaign, Channel, Commitment, TransportCheck, VenueCheck
from gridgov.core.exceptions import InvalidInput
from gridgov.territory.models import Region

LEDGERS = ("commitments", "visits", "venue_checks", "transport_checks", "publicity")
CHUNK = 2000


def _local(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _yes(value: bool) -> str:
    return _("是") if value else _("否")


def _person(user) -> str:
    return str(user) if user else ""


def _township_village(grid: Region) -> tuple[str, str]:
    village = grid.parent
    return (village.parent.name if village and village.parent else ""), (village.name if village else "")


def _rows(ledger: str, user, campaign: Campaign, region: Region | None):
    if ledger == "commitments":
        headers = [
            _("乡镇(街道)"),
            _("村(社区)"),
            _("网格"),
            _("对象"),
            _("户编号/信用代码"),
            _("户主/场所"),
            _("地址"),
            _("签字人"),
            _("方式"),
            _("签署时间"),
            _("收取人"),
        ]
        qs = selectors.commitment_list(user=user, campaign=campaign, region=region).select_related(
            "grid__parent__parent"
        )
        methods = dict(Commitment.Method.choices)

        def row(c):
            t = c.household or c.place
            code = c.household.code if c.household else (c.place.credit_code or "")
            name = c.household.head_name if c.household else c.place.name
            return [
                *_township_village(c.grid),
                c.grid.name,
                str(c.get_target_kind_display()),
                code,
                name,
                t.address,
                c.signer_name,
                str(methods[c.method]),
                _local(c.signed_at),
                _person(c.collected_by),
            ]
    elif ledger == "visits":
        headers = [
            _("乡镇(街道)"),
            _("村(社区)"),
            _("网格"),
            _("对象"),
            _("户主/场所"),
            _("地址"),
            _("走访时间"),
            _("走访人"),
            _("专项行动"),
            _("回答"),
            _("发现问题"),
            _("备注"),
        ]
        qs = (
            selectors.visit_list(user=user, campaign=campaign, region=region)
            .select_related("grid__parent__parent")
            .prefetch_related("entries__campaign")
        )

        def row(v):
            t = v.household or v.place
            name = v.household.head_name if v.household else v.place.name
            entries = [e for e in v.entries.all()]
            return [
                *_township_village(v.grid),
                v.grid.name,
                str(v.get_target_kind_display()),
                name,
                t.address,
                _local(v.visited_at),
                _person(v.visited_by),
                "、".join(e.campaign.name for e in entries),
                "；".join(f"{k}={val}" for e in entries for k, val in e.answers.items()),
                sum(e.problems for e in entries),
                v.note,
            ]
    elif ledger == "venue_checks":
        headers = [
            _("乡镇(街道)"),
            _("村(社区)"),
            _("网格"),
            _("场所"),
            _("类型"),
            _("地址"),
            _("销售烟花爆竹"),
            _("发现存货"),
            _("许可证号"),
            _("结果"),
            _("案件编号"),
            _("排查人"),
            _("排查时间"),
            _("备注"),
        ]
        qs = selectors.venue_check_list(user=user, campaign=campaign, region=region).select_related(
            "grid__parent__parent"
        )
        results = dict(VenueCheck.Result.choices)

        def row(c):
            case = c.finding.case if c.finding else None
            return [
                *_township_village(c.grid),
                c.grid.name,
                c.place.name,
                str(c.place.get_kind_display()),
                c.place.address,
                _yes(c.sells_fireworks),
                _yes(c.stock_found),
                c.licence_number,
                str(results[c.result]),
                case.number if case else "",
                _person(c.checked_by),
                _local(c.checked_at),
                c.note,
            ]
    elif ledger == "transport_checks":
        headers = [
            _("乡镇(街道)"),
            _("村(社区)"),
            _("检查地点"),
            _("车牌号"),
            _("驾驶员"),
            _("运输许可证号"),
            _("许可有效"),
            _("路线相符"),
            _("数量相符"),
            _("结果"),
            _("不合格原因"),
            _("案件编号"),
            _("检查人"),
            _("检查时间"),
        ]
        qs = selectors.transport_check_list(user=user, campaign=campaign, region=region).select_related(
            "grid__parent__parent"
        )
        results = dict(TransportCheck.Result.choices)

        def row(c):
            case = c.finding.case if c.finding else None
            return [
                *_township_village(c.grid),
                c.place_name or c.grid.name,
                c.vehicle_plate,
                c.driver_name,
                c.permit_number,
                _yes(c.permit_valid),
                _yes(c.route_matches),
                _yes(c.quantity_matches),
                str(results[c.result]),
                c.reasons,
                case.number if case else "",
                _person(c.checked_by),
                _local(c.checked_at),
            ]
    elif ledger == "publicity":
        headers = [_("区域"), _("上级"), _("渠道"), _("时间"), _("数量"), _("内容"), _("登记人")]
        qs = selectors.publicity_list(user=user, campaign=campaign, region=region)
        channels = dict(Channel.choices)

        def row(a):
            return [
                a.region.name,
                a.region.parent.name if a.region.parent else "",
                str(channels[a.channel]),
                _local(a.happened_at),
                a.count,
                a.description,
                _person(a.recorded_by),
            ]
    else:
        raise InvalidInput(fields={"ledger": [_("未知的台账。")]})
    return headers, qs, row


def ledger_export(
    *, user, campaign: Campaign, ledger: str, path: str | Path, region: Region | None = None
) -> int:
    """Writes one ledger of the campaign, limited to what ``user`` may see, to ``path``; returns the row count."""
    with translation.override("zh-hans"):
        headers, qs, row = _rows(ledger, user, campaign, region)
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        book = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False})
        header_format = book.add_format({"bold": True, "bg_color": "#DCE6F4", "border": 1})
        sheet = book.add_worksheet(_("台账"))
        for col, header in enumerate(headers):
            sheet.write_string(0, col, str(header), header_format)
            sheet.set_column(col, col, 16)
        sheet.freeze_panes(1, 0)
        count = 0
        for count, record in enumerate(qs.iterator(chunk_size=CHUNK), start=1):
            for col, value in enumerate(row(record)):
                if isinstance(value, int) and not isinstance(value, bool):
                    sheet.write_number(count, col, value)
                else:
                    sheet.write_string(count, col, "" if value is None else str(value))
        book.close()
        return count
