"""Cases in the shared county, set up through the services: each helper walks a case along the loop to the state
a test needs, the way the people of §1 would."""

from types import SimpleNamespace
from unittest import mock

import pytest
from django.forms.models import model_to_dict

from gridgov.cases.models import Case, Category
from gridgov.cases.services import extras, intake, loop

API = "/api/v1/cases"
NOT_FOUND = {"detail": "未找到，或不在您的管辖范围内。", "code": "not_found"}

#: 非法生产: default department yingji (the fixture's ``department``), 1 working day.
DAYS_CATEGORY = "fireworks_illegal_production"
#: 非法销售: default department gongan (not in the fixture), 4 working hours.
HOURS_CATEGORY = "fireworks_illegal_sale"

#: The states a helper can bring a case to, in loop order.
STATES = ("reported", "registered", "dispatched", "handling", "resolved", "closed")


def users(territory, *names):
    return [territory.user(name) for name in names]


def make_case(
    territory,
    state: str = "reported",
    *,
    category: str = DAYS_CATEGORY,
    region=None,
    reporter: str = "grid_a",
    title: str = "村东头仓库疑似非法生产烟花",
    unit: str = "department",
    suspended: bool = False,
    extension_pending: bool = False,
    **report,
) -> Case:
    """A case in grid A1-1 (township A) filed by grid_a, brought to ``state`` through the services. Dispatch goes
    to 应急管理局 (officer) or, with ``unit="township"``, to township A (township_a)."""
    user = territory.user
    case = intake.case_report(
        actor=user(reporter),
        category=Category.objects.get(code=category),
        region=region or territory.grid_a1_1,
        title=title,
        description="群众反映夜间有车辆进出搬运纸箱",
        address="常营西村东头",
        **report,
    )
    steps = STATES[: STATES.index(state) + 1]
    if "registered" in steps:
        case = loop.case_register(actor=user("supervisor"), case=case).case
    if "dispatched" in steps:
        target = (
            {"department": territory.department}
            if unit == "department"
            else {"township": territory.township_a}
        )
        case = loop.case_dispatch(actor=user("commander"), case=case, **target).case
    handler = user("officer" if unit == "department" else "township_a")
    if "handling" in steps:
        case = loop.case_accept(actor=handler, case=case).case
    if extension_pending:
        case = loop.case_request_extension(
            actor=handler, case=case, note="需要检测", value=2, unit="days"
        ).case
    if "resolved" in steps:
        case = loop.case_resolve(actor=handler, case=case, note="已取缔").case
    if "closed" in steps:
        case = loop.case_close(actor=user("supervisor"), case=case).case
    if suspended:
        case = loop.case_suspend(actor=user("commander"), case=case, note="等待联合执法").case
    case.refresh_from_db()
    return case


def loop_clock_at(moment):
    """The loop's services see ``moment`` as now (dispatch, suspension, extension, resumption times); everything
    else, sessions included, keeps the real clock."""
    return mock.patch.object(loop, "timezone", SimpleNamespace(now=lambda: moment))


def link_cases(territory, case, target, kind="supplied_by"):
    return extras.case_link(actor=territory.user("supervisor"), case=case, target=target, kind=kind)


def snapshot(case: Case) -> tuple[dict, int, int]:
    """Everything an action could change: the row, its timeline length, its extension requests."""
    fresh = Case.objects.get(pk=case.pk)
    row = model_to_dict(fresh)
    row["updated_at"] = fresh.updated_at
    return row, fresh.events.count(), fresh.extension_requests.count()


def post(client, url, data=None, **extra):
    return client.post(url, data if data is not None else {}, content_type="application/json", **extra)


def act(client, case, action, data=None, **extra):
    return post(client, f"{API}/{case.pk}/actions/{action}", data, **extra)


def assert_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) <= {"detail", "code", "fields"} and body["detail"], body
    if code:
        assert body["code"] == code, body
    return body


def assert_field_error(response, field: str) -> dict:
    body = assert_error(response, 400, "invalid")
    assert field in body.get("fields", {}), body
    assert all(isinstance(m, str) and m for m in body["fields"][field]), body
    return body


def assert_not_found(response):
    assert response.status_code == 404, response.content
    assert response.json() == NOT_FOUND


@pytest.fixture
def api_client(client):
    """``api_client(user)``: a fresh session for ``user`` on the shared test client."""

    def _login(user):
        client.logout()
        client.force_login(user)
        return client

    return _login
