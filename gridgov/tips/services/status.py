"""What the public may know about a tip: open or closed, and notes that name no person, unit or internal step."""

from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext_lazy as _

from gridgov.cases.models import Case, CaseEvent, CaseState
from gridgov.tips.models import Tip
from gridgov.tips.services.codes import normalize_code

#: Timeline actions the public learns about, each with a fixed text (never the handler's own note).
PUBLIC_NOTES = {
    "report": _("举报已受理。"),
    "register": _("经核实，已立案。"),
    "void": _("经核实，不予立案。"),
    "dispatch": _("已交由责任单位处置。"),
    "resolve": _("责任单位已处置，等待核查。"),
    "rework": _("核查未通过，责任单位继续处置。"),
    "close": _("经核查，问题已处置完毕，已结案。"),
    "merge": _("与同一问题的其他举报合并处理。"),
}
CLOSED_STATES = (CaseState.CLOSED, CaseState.VOIDED)


@dataclass(frozen=True)
class PublicNote:
    at: datetime
    action: str
    text: str


def tip_by_tracking_code(code: str) -> Tip | None:
    """The tip with this tracking code (typed in any case, with or without dashes), or None."""
    code = normalize_code(code)
    if not code or len(code) > 16:
        return None
    return Tip.objects.select_related("case", "case__category").filter(tracking_code=code).first()


def _follow_merges(case: Case) -> Case:
    seen = set()
    while case.state == CaseState.MERGED and case.merged_into_id and case.pk not in seen:
        seen.add(case.pk)
        case = Case.objects.get(pk=case.merged_into_id)
    return case


def public_status(case: Case) -> tuple[str, list[PublicNote]]:
    """("open" | "closed", notes oldest first). A case merged into another reports the other's progress."""
    events = list(
        CaseEvent.objects.filter(case=case, action__in=PUBLIC_NOTES)
        .only("action", "created_at")
        .order_by("created_at", "id")
    )
    target = _follow_merges(case)
    if target.pk != case.pk:
        events += list(
            CaseEvent.objects.filter(case=target, action__in=PUBLIC_NOTES)
            .exclude(action="report")
            .only("action", "created_at")
            .order_by("created_at", "id")
        )
    notes = []
    for event in events:
        if notes and notes[-1].action == event.action == "report":
            continue  # repeated reports of the same problem are one note to the public
        notes.append(
            PublicNote(at=event.created_at, action=event.action, text=str(PUBLIC_NOTES[event.action]))
        )
    status = "closed" if target.state in CLOSED_STATES else "open"
    return status, notes
