"""The printable commitment letter (承诺书), pre-filled for one household or place, as a .docx."""

import io

from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.campaigns.models import Campaign, LetterTemplate, TargetKind
from gridgov.core.exceptions import NotFound
from gridgov.registry.models import Household

#: Placeholders a county may write into a template's text.
PLACEHOLDERS = ("{户主}", "{场所}", "{地址}", "{户编号}", "{网格}", "{村}", "{乡镇}", "{行动}")


def letter_values(campaign: Campaign, target) -> dict[str, str]:
    grid = target.grid
    village = grid.parent
    township = village.parent if village else None
    is_household = isinstance(target, Household)
    return {
        "{户主}": target.head_name if is_household else target.person_in_charge,
        "{场所}": "" if is_household else target.name,
        "{地址}": target.address,
        "{户编号}": target.code if is_household else (target.credit_code or ""),
        "{网格}": grid.name,
        "{村}": village.name if village else "",
        "{乡镇}": township.name if township else "",
        "{行动}": campaign.name,
    }


def fill(text: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        text = text.replace(key, value or "")
    return text


def letter_docx(*, campaign: Campaign, target) -> bytes:
    """The letter of the campaign for the target's kind, filled in; 404 when the campaign has no such letter."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Pt

    kind = TargetKind.HOUSEHOLD if isinstance(target, Household) else TargetKind.PLACE
    template = LetterTemplate.objects.filter(campaign=campaign, target_kind=kind).first()
    if template is None:
        raise NotFound(_("本专项行动没有这类对象的承诺书模板。"))
    values = letter_values(campaign, target)
    document = Document()
    style = document.styles["Normal"]
    style.font.name = "SimSun"
    style.font.size = Pt(14)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "宋体")
    title = document.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = title.add_run(fill(template.title, values))
    run.bold = True
    run.font.size = Pt(22)
    who = values["{场所}"] or values["{户主}"]
    document.add_paragraph(_("致：%(who)s（%(address)s）") % {"who": who, "address": values["{地址}"]})
    for paragraph in fill(template.body, values).splitlines():
        if paragraph.strip():
            p = document.add_paragraph(paragraph.strip())
            p.paragraph_format.first_line_indent = Pt(28)
            p.paragraph_format.line_spacing = 1.5
    document.add_paragraph("")
    for line in (
        _("承诺人（签字）：________________"),
        _("户编号：%(code)s") % {"code": values["{户编号}"]},
        _("%(township)s %(village)s %(grid)s")
        % {"township": values["{乡镇}"], "village": values["{村}"], "grid": values["{网格}"]},
        _("日期：____年____月____日"),
    ):
        p = document.add_paragraph(line)
        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    footer = document.add_paragraph(
        _("（%(campaign)s · 打印于 %(day)s）")
        % {"campaign": campaign.name, "day": timezone.localdate().isoformat()}
    )
    footer.runs[0].font.size = Pt(9)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
