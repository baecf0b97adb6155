"""Cases for the page tests, set up through the services in any state of the loop."""

import pytest

from gridgov.cases.models import Case, CaseState, Category
from gridgov.cases.services import loop
from gridgov.cases.services.intake import case_report

#: The states of the main path, in order, and the service call that reaches each.
PATH = [CaseState.REGISTERED, CaseState.DISPATCHED, CaseState.HANDLING, CaseState.RESOLVED, CaseState.CLOSED]


@pytest.fixture
def make_case(territory):
    """``make_case("handling")`` files a case in grid A1-1 (by grid_a) and moves it along the loop; by default
    the commander dispatches it to 县应急管理局 (the ``officer``'s department)."""

    def _make(
        state: str = CaseState.REPORTED,
        *,
        region=None,
        category: str = "fireworks_illegal_sale",
        by: str = "grid_a",
        title: str = "小卖部无证销售烟花爆竹",
        township_unit: bool = False,
    ) -> Case:
        case = case_report(
            actor=territory.user(by),
            category=Category.objects.get(code=category),
            region=region or territory.grid_a1_1,
            title=title,
            description="店内货架上摆放鞭炮约 20 箱，无经营许可证。",
            address="常营西村十字路口东",
        )
        supervisor, commander = territory.user("supervisor"), territory.user("commander")
        unit_user = territory.user("township_a" if township_unit else "officer")
        if state == CaseState.VOIDED:
            return loop.case_void(actor=supervisor, case=case, note="重复上报").case
        for step in PATH:
            if state == CaseState.REPORTED:
                break
            if step == CaseState.REGISTERED:
                case = loop.case_register(actor=supervisor, case=case).case
            elif step == CaseState.DISPATCHED:
                unit = {"township": case.township} if township_unit else {"department": territory.department}
                case = loop.case_dispatch(actor=commander, case=case, **unit).case
            elif step == CaseState.HANDLING:
                case = loop.case_accept(actor=unit_user, case=case).case
            elif step == CaseState.RESOLVED:
                case = loop.case_resolve(actor=unit_user, case=case, note="已查扣，责令停业").case
            elif step == CaseState.CLOSED:
                case = loop.case_close(actor=supervisor, case=case).case
            if step == state:
                break
        return Case.objects.get(pk=case.pk)

    return _make
