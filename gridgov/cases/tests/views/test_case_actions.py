"""Every action through the case page: allowed for its role, refused (403 page) for another, 409 when the case
moved on, field errors for bad input; with and without htmx."""

import pytest

from gridgov.cases.models import Case, CaseAttachment, CaseEvent, CaseLink, CaseState, ExtensionRequest
from gridgov.cases.services import loop
from gridgov.cases.tests.views.uploads import png_upload

S = CaseState
HTMX = {"HTTP_HX_REQUEST": "true"}


def _with_pending_extension(territory, case):
    loop.case_request_extension(
        actor=territory.user("officer"), case=case, note="需协调", value=1, unit="days"
    )
    return case


def _suspended(territory, case):
    loop.case_suspend(actor=territory.user("commander"), case=case, note="等待上级意见")
    return case


# (action, starting state, extra set-up, allowed user, refused user, form data, what must be true afterwards)
CASES = [
    ("register", S.REPORTED, None, "supervisor", "commander", lambda t, o: {}, lambda c, t: c.state == S.REGISTERED),
    ("void", S.REPORTED, None, "supervisor", "township_a", lambda t, o: {"note": "经核实不属实"},
     lambda c, t: c.state == S.VOIDED),
    (
        "dispatch", S.REGISTERED, None, "commander", "supervisor",
        lambda t, o: {"unit_kind": "department", "department": t.department.pk, "township": t.township_a.pk,
                      "assignee": t.user("officer").pk, "note": "请尽快处置"},
        lambda c, t: c.state == S.DISPATCHED and c.unit_department == t.department
        and c.assignee == t.user("officer") and c.due_at is not None,
    ),
    (
        "dispatch", S.REGISTERED, None, "commander", "leader",
        lambda t, o: {"unit_kind": "township", "department": t.department.pk, "township": t.township_a.pk},
        lambda c, t: c.state == S.DISPATCHED and c.unit_township == t.township_a and c.unit_department is None,
    ),
    ("accept", S.DISPATCHED, None, "officer", "township_a", lambda t, o: {}, lambda c, t: c.state == S.HANDLING),
    ("return", S.DISPATCHED, None, "officer", "commander", lambda t, o: {"note": "不属本局职责"},
     lambda c, t: c.state == S.REGISTERED and c.return_count == 1 and c.unit_department is None),
    ("resolve", S.HANDLING, None, "officer", "supervisor", lambda t, o: {"note": "已查扣鞭炮 20 箱"},
     lambda c, t: c.state == S.RESOLVED),
    ("close", S.RESOLVED, None, "supervisor", "officer", lambda t, o: {}, lambda c, t: c.state == S.CLOSED),
    ("rework", S.RESOLVED, None, "supervisor", "commander", lambda t, o: {"note": "现场仍有存货"},
     lambda c, t: c.state == S.HANDLING and c.rework_count == 1),
    (
        "request_extension", S.HANDLING, None, "officer", "commander",
        lambda t, o: {"value": 2, "unit": "days", "note": "需要协调公安"},
        lambda c, t: c.extension_requests.filter(state="pending", extra_value=2).exists(),
    ),
    ("approve_extension", S.HANDLING, _with_pending_extension, "commander", "officer", lambda t, o: {},
     lambda c, t: c.extension_count == 1 and not c.extension_requests.filter(state="pending").exists()),
    ("refuse_extension", S.HANDLING, _with_pending_extension, "commander", "supervisor",
     lambda t, o: {"note": "理由不充分"},
     lambda c, t: c.extension_count == 0 and c.extension_requests.filter(state="refused").exists()),
    ("suspend", S.DISPATCHED, None, "commander", "supervisor", lambda t, o: {"note": "等待上级意见"},
     lambda c, t: c.is_suspended),
    ("resume", S.DISPATCHED, _suspended, "commander", "officer", lambda t, o: {}, lambda c, t: not c.is_suspended),
    ("link", S.REPORTED, None, "supervisor", "township_a",
     lambda t, o: {"target": o.number, "kind": "supplied_by", "note": "货源"},
     lambda c, t: CaseLink.objects.filter(from_case=c, kind="supplied_by").exists()),
    ("merge", S.REPORTED, None, "supervisor", "commander", lambda t, o: {"into": o.number},
     lambda c, t: c.state == S.MERGED and c.merged_into is not None),
]  # fmt: skip


def _setup(territory, make_case, state, extra):
    case = make_case(state)
    if extra:
        extra(territory, case)
    other = make_case(title="另一个案件")
    return Case.objects.get(pk=case.pk), other


@pytest.mark.parametrize(("action", "state", "extra", "allowed", "refused", "data", "check"), CASES)
def test_action_through_the_page(
    territory, client_for, make_case, action, state, extra, allowed, refused, data, check
):
    case, other = _setup(territory, make_case, state, extra)
    events = CaseEvent.objects.filter(case=case).count()
    response = client_for(territory.user(allowed)).post(
        f"/cases/{case.pk}/actions/{action}/", data(territory, other)
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    # The unit that returns a case no longer sees it, and goes back to its inbox.
    expected = "/cases/" if action == "return" else f"/cases/{case.pk}/"
    assert response["Location"] == expected
    case.refresh_from_db()
    assert check(case, territory)
    assert CaseEvent.objects.filter(case=case).count() == events + 1


@pytest.mark.parametrize(("action", "state", "extra", "allowed", "refused", "data", "check"), CASES)
def test_action_refused_for_another_role(
    territory, client_for, make_case, action, state, extra, allowed, refused, data, check
):
    case, other = _setup(territory, make_case, state, extra)
    before = Case.objects.filter(pk=case.pk).values().get()
    events = CaseEvent.objects.filter(case=case).count()
    response = client_for(territory.user(refused)).post(
        f"/cases/{case.pk}/actions/{action}/", data(territory, other)
    )
    assert response.status_code == 403
    assert "您没有执行此操作的权限" in response.content.decode()
    assert Case.objects.filter(pk=case.pk).values().get() == before
    assert CaseEvent.objects.filter(case=case).count() == events


def test_action_forms_offered_match_the_role_and_state(territory, client_for, make_case):
    def offered(username, case):
        html = client_for(territory.user(username)).get(f"/cases/{case.pk}/").content.decode()
        return {a for a in ("register", "void", "dispatch", "accept", "return", "resolve", "close", "rework",
                            "request_extension", "suspend", "resume", "merge", "link") if f'id="action-{a}"' in html}  # fmt: skip

    reported = make_case()
    assert offered("supervisor", reported) == {"register", "void", "merge", "link"}
    assert offered("commander", reported) == {"link"}
    assert offered("grid_a", reported) == set()
    dispatched = make_case(S.DISPATCHED)
    assert offered("officer", dispatched) == {"accept", "return", "request_extension"}
    assert offered("commander", dispatched) == {"suspend", "link"}
    assert offered("township_a", dispatched) == set()
    to_township = make_case(S.DISPATCHED, township_unit=True)
    assert offered("township_a", to_township) == {"accept", "return", "request_extension"}
    assert offered("officer", to_township) == set()  # not visible to the department at all
    resolved = make_case(S.RESOLVED)
    assert offered("supervisor", resolved) == {"close", "rework", "link"}
    loop.case_suspend(actor=territory.user("commander"), case=dispatched, note="缓办")
    assert offered("commander", dispatched) == {"resume", "link"}
    assert offered("officer", dispatched) == set()


def test_htmx_action_swaps_the_main_section(territory, client_for, make_case):
    case = make_case()
    response = client_for(territory.user("supervisor")).post(
        f"/cases/{case.pk}/actions/register/", {"note": "符合立案条件"}, **HTMX
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="case-main">') and "<html" not in html
    assert "已立案。" in html
    assert 'id="action-register"' not in html
    assert "符合立案条件" in html  # the note on the timeline
    assert Case.objects.get(pk=case.pk).state == S.REGISTERED


def test_without_js_the_action_redirects_with_a_message(territory, client_for, make_case):
    case = make_case()
    response = client_for(territory.user("supervisor")).post(
        f"/cases/{case.pk}/actions/register/", {}, follow=True
    )
    assert response.status_code == 200
    assert "已立案。" in response.content.decode()


@pytest.mark.parametrize("headers", [{}, HTMX])
def test_stale_action_is_a_409_with_the_current_state(territory, client_for, make_case, headers):
    case = make_case()
    client = client_for(territory.user("supervisor"))
    assert client.post(f"/cases/{case.pk}/actions/register/", {}).status_code == 302
    response = client.post(f"/cases/{case.pk}/actions/register/", {}, **headers)
    assert response.status_code == 409
    html = response.content.decode()
    assert "案件状态已变化，请刷新" in html
    assert "当前状态：已立案" in html
    assert ("<html" in html) == (not headers)
    assert CaseEvent.objects.filter(case=case, action="register").count() == 1


def test_someone_else_acted_first(territory, client_for, make_case):
    """The commander's page still offers 派遣, but the case was dispatched meanwhile: 409, nothing changed."""
    case = make_case(S.REGISTERED)
    client = client_for(territory.user("commander"))
    assert 'id="action-dispatch"' in client.get(f"/cases/{case.pk}/").content.decode()
    loop.case_dispatch(actor=territory.user("commander"), case=case, township=territory.township_a)
    response = client.post(
        f"/cases/{case.pk}/actions/dispatch/",
        {"unit_kind": "department", "department": territory.department.pk},
        **HTMX,
    )
    assert response.status_code == 409
    assert "当前状态：已派遣" in response.content.decode()
    case.refresh_from_db()
    assert case.unit_township == territory.township_a and case.unit_department is None


@pytest.mark.parametrize("headers", [{}, HTMX])
def test_missing_reason_shows_the_field_error(territory, client_for, make_case, headers):
    case = make_case()
    response = client_for(territory.user("supervisor")).post(
        f"/cases/{case.pk}/actions/void/", {"note": "  "}, **headers
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "作废须说明理由" in html
    assert '<details class="action" id="action-void" open>' in html
    assert 'aria-invalid="true"' in html
    assert Case.objects.get(pk=case.pk).state == S.REPORTED


def test_dispatch_input_errors(territory, client_for, make_case):
    case = make_case(S.REGISTERED)
    client = client_for(territory.user("commander"))
    url = f"/cases/{case.pk}/actions/dispatch/"
    response = client.post(url, {"unit_kind": "department", "department": ""})
    assert response.status_code == 400 and "请选择部门" in response.content.decode()
    response = client.post(
        url,
        {
            "unit_kind": "department",
            "department": territory.department.pk,
            "assignee": territory.user("township_a").pk,
        },
    )
    assert response.status_code == 400 and "责任人须属于责任单位" in response.content.decode()
    assert Case.objects.get(pk=case.pk).state == S.REGISTERED


def test_link_and_merge_need_a_visible_case_number(territory, client_for, make_case):
    case = make_case()
    elsewhere = make_case(region=territory.grid_b1_1, by="grid_b")
    supervisor = client_for(territory.user("supervisor"))
    response = supervisor.post(
        f"/cases/{case.pk}/actions/link/", {"target": "2000010100001", "kind": "same_source"}
    )
    assert response.status_code == 400 and "找不到该编号的案件" in response.content.decode()
    response = supervisor.post(f"/cases/{case.pk}/actions/merge/", {"into": case.number})
    assert response.status_code == 400 and "不能合并到案件本身" in response.content.decode()
    assert not CaseLink.objects.exists() and Case.objects.get(pk=case.pk).state == S.REPORTED
    # township B cannot reach township A's case at all
    township_b = client_for(territory.user("township_b"))
    response = township_b.post(
        f"/cases/{case.pk}/actions/link/", {"target": elsewhere.number, "kind": "same_source"}
    )
    assert response.status_code == 404


def test_resolve_with_evidence_photos(territory, client_for, make_case):
    case = make_case(S.HANDLING)
    response = client_for(territory.user("officer")).post(
        f"/cases/{case.pk}/actions/resolve/",
        {
            "note": "已清理现场",
            "photos": [png_upload("after-1.png"), png_upload("after-2.png", color=(0, 90, 0))],
        },
        follow=True,
    )
    assert response.status_code == 200
    event = CaseEvent.objects.get(case=case, action="resolve")
    photos = list(CaseAttachment.objects.filter(case=case, event=event))
    assert [p.phase for p in photos] == ["after", "after"]
    html = client_for(territory.user("supervisor")).get(f"/cases/{case.pk}/").content.decode()
    timeline = html[html.index('id="timeline"') :]
    assert f"/cases/{case.pk}/files/{photos[0].pk}/thumbnail/" in timeline


def test_resolve_with_a_bad_photo_changes_nothing(territory, client_for, make_case):
    from django.core.files.uploadedfile import SimpleUploadedFile

    case = make_case(S.HANDLING)
    fake = SimpleUploadedFile("fake.png", b"not an image at all", content_type="image/png")
    response = client_for(territory.user("officer")).post(
        f"/cases/{case.pk}/actions/resolve/", {"note": "已清理现场", "photos": [png_upload(), fake]}
    )
    assert response.status_code == 400
    assert "fake.png" in response.content.decode()
    assert Case.objects.get(pk=case.pk).state == S.HANDLING
    assert not CaseAttachment.objects.filter(case=case).exists()
    assert not CaseEvent.objects.filter(case=case, action="resolve").exists()


def test_merge_a_duplicate_from_the_offer(territory, client_for, make_case):
    first = make_case(title="同一家店")
    second = make_case(title="同一家店又报")
    response = client_for(territory.user("supervisor")).post(
        f"/cases/{second.pk}/actions/merge/", {"into": first.number}, **HTMX
    )
    assert response.status_code == 200
    assert f"已并入案件 {first.number}" in response.content.decode()
    second.refresh_from_db()
    assert second.state == S.MERGED and second.merged_into_id == first.pk
    assert first.reports.count() == 2


def test_extension_approval_moves_the_deadline(territory, client_for, make_case):
    case = make_case(S.HANDLING)
    officer = client_for(territory.user("officer"))
    officer.post(
        f"/cases/{case.pk}/actions/request_extension/", {"value": 1, "unit": "days", "note": "待检测"}
    )
    before = Case.objects.get(pk=case.pk).due_at
    commander = client_for(territory.user("commander"))
    assert commander.post(f"/cases/{case.pk}/actions/approve_extension/", {}).status_code == 302
    assert Case.objects.get(pk=case.pk).due_at > before
    assert ExtensionRequest.objects.get(case=case).state == "approved"


def test_get_and_unknown_actions(territory, client_for, make_case):
    case = make_case()
    client = client_for(territory.user("supervisor"))
    assert client.get(f"/cases/{case.pk}/actions/register/").status_code == 405
    assert client.post(f"/cases/{case.pk}/actions/explode/", {}).status_code == 404
    assert (
        client_for(territory.user("township_b")).post(f"/cases/{case.pk}/actions/register/").status_code
        == 404
    )


def test_htmx_refusal_is_shown_in_place(territory, client_for, make_case):
    case = make_case()
    response = client_for(territory.user("leader")).post(f"/cases/{case.pk}/actions/register/", {}, **HTMX)
    assert response.status_code == 403
    html = response.content.decode()
    assert "<html" not in html and "您不能对此案件执行该操作" in html


def test_extension_decided_meanwhile_is_a_409_with_the_reason(territory, client_for, make_case):
    case = make_case(S.HANDLING)
    loop.case_request_extension(
        actor=territory.user("officer"), case=case, note="需协调", value=1, unit="days"
    )
    client = client_for(territory.user("commander"))
    assert 'id="action-approve_extension"' in client.get(f"/cases/{case.pk}/").content.decode()
    loop.case_refuse_extension(actor=territory.user("commander"), case=case, note="不同意")
    response = client.post(f"/cases/{case.pk}/actions/approve_extension/", {}, **HTMX)
    assert response.status_code == 409
    html = response.content.decode()
    assert "没有待审批的延期申请" in html and "当前状态：处置中" in html
    assert Case.objects.get(pk=case.pk).extension_count == 0


def test_returning_with_htmx_sends_the_unit_back_to_its_inbox(territory, client_for, make_case):
    case = make_case(S.DISPATCHED)
    client = client_for(territory.user("officer"))
    response = client.post(f"/cases/{case.pk}/actions/return/", {"note": "不属本局职责"}, **HTMX)
    assert response.status_code == 200 and response["HX-Redirect"] == "/cases/"
    assert "已回退至指挥中心" in client.get("/cases/").content.decode()
    assert client.get(f"/cases/{case.pk}/").status_code == 404
