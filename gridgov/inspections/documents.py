"""Documents: the rectification notice (整改通知书) as .docx, and the ledgers (台账) of inspections and of hazards
as .xlsx (XlsxWriter in constant-memory mode, rows streamed from the database in chunks)."""

import io

from django.utils import timezone
from django.utils.translation import gettext as _
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt

from gridgov.inspections.selectors import rectification_findings


def _local(value, fmt="%Y年%m月%d日 %H:%M") -> str:
    return timezone.localtime(value).strftime(fmt) if value else ""


def notice_docx(rectification) -> bytes:
    """整改通知书: the party, what was found and under which rule, the deadline, and whether to stop."""
    findings = rectification_findings(rectification)
    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "SimSun"
    style.font.size = Pt(12)
    title = doc.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = title.add_run(rectification.plan.department.name)
    run.bold, run.font.size = True, Pt(16)
    heading = doc.add_paragraph()
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = heading.add_run(_("安全隐患整改通知书"))
    run.bold, run.font.size = True, Pt(20)
    number = doc.add_paragraph(_("编号：%(number)s") % {"number": rectification.number})
    number.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    doc.add_paragraph(f"{rectification.party_name}：")
    inspection = rectification.inspection
    doc.add_paragraph(
        _("%(date)s，%(team)s依据“%(plan)s”对你单位进行了检查，发现以下安全隐患：")
        % {
            "date": _local(inspection.submitted_at or rectification.issued_at, "%Y年%m月%d日"),
            "team": rectification.plan.team_name,
            "plan": rectification.plan.name,
        }
    )
    table = doc.add_table(rows=1, cols=4)
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, (_("序号"), _("隐患"), _("等级"), _("依据")), strict=True):
        cell.text = text
    for index, finding in enumerate(findings, 1):
        cells = table.add_row().cells
        cells[0].text = str(index)
        cells[1].text = f"{finding.item.text}：{finding.description}"
        cells[2].text = str(finding.get_severity_display())
        cells[3].text = finding.item.rule
    doc.add_paragraph(
        _("请你单位于 %(due)s 前整改完毕，并将整改情况书面报告%(department)s。整改期限届满时将进行复查。")
        % {"due": _local(rectification.due_at), "department": rectification.department.name}
    )
    if rectification.stop_required:
        stop = doc.add_paragraph()
        run = stop.add_run(_("存在重大事故隐患，责令立即停止相关经营（作业）活动，整改合格前不得恢复。"))
        run.bold = True
    if rectification.case_id:
        doc.add_paragraph(
            _("本通知已纳入网格化闭环管理，案件编号：%(case)s。") % {"case": rectification.case.number}
        )
    doc.add_paragraph("")
    sign = doc.add_paragraph(
        _("%(department)s\n%(date)s")
        % {
            "department": rectification.plan.department.name,
            "date": _local(rectification.issued_at, "%Y年%m月%d日"),
        }
    )
    sign.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    doc.add_paragraph(_("被检查单位签收：__________    日期：__________"))
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def covert_briefing_docx(rows, findings, since=None) -> bytes:
    """暗访情况通报 (material for the county meeting): visits and problems per township, then each problem."""
    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "SimSun"
    style.font.size = Pt(12)
    heading = doc.add_paragraph()
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = heading.add_run(_("暗访发现问题情况通报"))
    run.bold, run.font.size = True, Pt(20)
    if since:
        doc.add_paragraph(_("%(since)s 以来已通报的暗访计划。") % {"since": since.strftime("%Y年%m月%d日")})
    table = doc.add_table(rows=1, cols=4)
    table.style = "Table Grid"
    headers = (_("乡镇"), _("暗访次数"), _("发现问题"), _("其中重大"))
    for cell, text in zip(table.rows[0].cells, headers, strict=True):
        cell.text = text
    for row in rows:
        cells = table.add_row().cells
        cells[0].text = row["township__name"]
        cells[1].text = str(row["visits"])
        cells[2].text = str(row["finding_total"])
        cells[3].text = str(row["major_total"])
    doc.add_paragraph(_("发现的问题："))
    for index, finding in enumerate(findings, 1):
        state = finding.rectification.get_state_display() if finding.rectification_id else ""
        doc.add_paragraph(
            f"{index}. {finding.township.name}：{finding.item.text}——{finding.description}"
            f"（{finding.inspection.plan.name}，{_local(finding.created_at, '%Y-%m-%d')}"
            + (f"，{state}" if state else "")
            + "）"
        )
    if not findings:
        doc.add_paragraph(_("暂无已通报的暗访记录。"))
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def _workbook(buffer, sheet_name: str, headers: list[str]):
    import xlsxwriter

    workbook = xlsxwriter.Workbook(
        buffer, {"constant_memory": True, "in_memory": False, "remove_timezone": True}
    )
    sheet = workbook.add_worksheet(sheet_name)
    bold = workbook.add_format({"bold": True})
    for col, header in enumerate(headers):
        sheet.write_string(0, col, header, bold)
    sheet.freeze_panes(1, 0)
    return workbook, sheet


CHUNK = 2000


def inspections_xlsx(queryset, path, progress=None) -> int:
    """检查台账: one row per inspection. Returns the number of rows written."""
    headers = [
        _("计划"),
        _("方式"),
        _("组织单位"),
        _("检查对象"),
        _("所属乡镇"),
        _("类型"),
        _("状态"),
        _("检查人"),
        _("提交时间"),
        _("隐患数"),
        _("复查结论"),
    ]
    workbook, sheet = _workbook(path, _("检查台账"), headers)
    row = 0
    qs = queryset.select_related(None).select_related(
        "plan", "plan__department", "place", "township", "inspector"
    )
    for inspection in qs.order_by("pk").iterator(chunk_size=CHUNK):
        row += 1
        passed = "" if inspection.passed is None else (_("通过") if inspection.passed else _("未通过"))
        values = [
            inspection.plan.name,
            str(inspection.plan.get_mode_display()),
            inspection.plan.department.name,
            inspection.target_name,
            inspection.township.name,
            str(inspection.get_kind_display()),
            str(inspection.get_state_display()),
            str(inspection.inspector or ""),
            _local(inspection.submitted_at),
            inspection.finding_count,
            passed,
        ]
        sheet.write_row(row, 0, values)
        if progress is not None and row % CHUNK == 0:
            progress(CHUNK)
    if progress is not None and row % CHUNK:
        progress(row % CHUNK)
    workbook.close()
    return row


def findings_xlsx(queryset, path, progress=None) -> int:
    """隐患台账: one row per finding with its rectification. Returns the number of rows written."""
    headers = [
        _("发现时间"),
        _("被检查单位"),
        _("所属乡镇"),
        _("检查项"),
        _("隐患描述"),
        _("等级"),
        _("依据"),
        _("暗访"),
        _("整改通知书"),
        _("整改期限"),
        _("整改状态"),
    ]
    workbook, sheet = _workbook(path, _("隐患台账"), headers)
    row = 0
    qs = queryset.select_related(None).select_related(
        "item", "place", "township", "inspection", "rectification"
    )
    for finding in qs.order_by("pk").iterator(chunk_size=CHUNK):
        row += 1
        rect = finding.rectification
        values = [
            _local(finding.created_at),
            finding.place.name if finding.place_id else finding.township.name,
            finding.township.name,
            finding.item.text,
            finding.description,
            str(finding.get_severity_display()),
            finding.item.rule,
            _("是") if finding.covert else "",
            rect.number if rect else "",
            _local(rect.due_at) if rect else "",
            str(rect.get_state_display()) if rect else "",
        ]
        sheet.write_row(row, 0, values)
        if progress is not None and row % CHUNK == 0:
            progress(CHUNK)
    if progress is not None and row % CHUNK:
        progress(row % CHUNK)
    workbook.close()
    return row
