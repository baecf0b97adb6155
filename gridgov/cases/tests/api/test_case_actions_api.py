"""POST /api/v1/cases/{id}/actions/{action}: every action for a role that may take it (200, the case moved, one
event written), a role that may see the case but not act (403), and a state that does not allow it (409); in the
refusals nothing changes, neither the case row nor its timeline."""

import pytest

from gridgov.cases.models import Case, CaseEvent, CaseLink, ExtensionRequest
from gridgov.cases.tests.api.conftest import (
    API,
    act,
    assert_error,
    assert_field_error,
    assert_not_found,
    make_case,
    snapshot,
)


def merge_target(territory):
    return {"into": make_case(territory, title="同一仓库，另一人上报").number}


# action, state of the case, extra set-up, who may, who may see but not act, body, a state that refuses it,
# the state afterwards.
ACTIONS = [
    ("register", "reported", {}, "supervisor", "commander", {}, ("registered", {}), "registered"),
    ("void", "reported", {}, "supervisor", "grid_a", {"note": "重复上报"}, ("dispatched", {}), "voided"),
    (
        "dispatch",
        "registered",
        {},
        "commander",
        "supervisor",
        {"department": "yingji"},
        ("reported", {}),
        "dispatched",
    ),
    ("accept", "dispatched", {}, "officer", "township_a", {}, ("handling", {}), "handling"),
    (
        "return",
        "dispatched",
        {},
        "officer",
        "township_a",
        {"note": "不属本局职责"},
        ("handling", {}),
        "registered",
    ),
    (
        "resolve",
        "handling",
        {},
        "officer",
        "supervisor",
        {"note": "窝点已取缔"},
        ("dispatched", {}),
        "resolved",
    ),
    ("close", "resolved", {}, "supervisor", "commander", {}, ("handling", {}), "closed"),
    ("rework", "resolved", {}, "supervisor", "officer", {"note": "现场仍有存货"}, ("closed", {}), "handling"),
    (
        "request_extension",
        "handling",
        {},
        "officer",
        "commander",
        {"note": "需要送检", "value": 2, "unit": "days"},
        ("resolved", {}),
        "handling",
    ),
    (
        "approve_extension",
        "handling",
        {"extension_pending": True},
        "commander",
        "supervisor",
        {},
        ("handling", {}),  # nothing pending
        "handling",
    ),
    (
        "refuse_extension",
        "handling",
        {"extension_pending": True},
        "commander",
        "supervisor",
        {"note": "理由不充分"},
        ("closed", {}),
        "handling",
    ),
    (
        "suspend",
        "dispatched",
        {},
        "commander",
        "supervisor",
        {"note": "等待联合执法"},
        ("reported", {}),
        "dispatched",
    ),
    (
        "resume",
        "dispatched",
        {"suspended": True},
        "commander",
        "supervisor",
        {},
        ("dispatched", {}),
        "dispatched",
    ),
    ("merge", "reported", {}, "supervisor", "commander", merge_target, ("dispatched", {}), "merged"),
]
IDS = [row[0] for row in ACTIONS]


def body_for(body, territory):
    return body(territory) if callable(body) else body


@pytest.mark.parametrize(
    ("action", "state", "setup", "allowed", "_r", "body", "_w", "after"), ACTIONS, ids=IDS
)
def test_allowed(territory, api_client, action, state, setup, allowed, _r, body, _w, after):
    case = make_case(territory, state, **setup)
    events = case.events.count()
    body = body_for(body, territory)
    response = act(api_client(territory.user(allowed)), case, action, body)
    assert response.status_code == 200, response.content
    out = response.json()
    case.refresh_from_db()
    assert (out["id"], out["state"], case.state) == (case.pk, after, after)
    # One event for the action, by the actor, carrying the note; the answer shows it at the end of the timeline.
    assert case.events.count() == events + 1
    event = case.events.order_by("-id").first()
    assert (event.action, event.actor.username, event.from_state, event.to_state) == (
        action,
        allowed,
        state,
        after,
    )
    if "note" in body:
        assert event.note == body["note"]
    assert out["timeline"][-1]["action"] == action
    assert out["timeline"][-1]["actor"]["username"] == allowed


@pytest.mark.parametrize(
    ("action", "state", "setup", "_a", "refused", "body", "_w", "_after"), ACTIONS, ids=IDS
)
def test_refused_role_is_403_and_changes_nothing(
    territory, api_client, action, state, setup, _a, refused, body, _w, _after
):
    case = make_case(territory, state, **setup)
    client = api_client(territory.user(refused))
    assert (
        client.get(f"{API}/{case.pk}").status_code == 200
    )  # visible to them: that is why it is 403, not 404
    before = snapshot(case)
    assert_error(act(client, case, action, body_for(body, territory)), 403, "forbidden")
    assert snapshot(case) == before


@pytest.mark.parametrize(
    ("action", "_s", "_setup", "allowed", "_r", "body", "wrong", "_after"), ACTIONS, ids=IDS
)
def test_wrong_state_is_409_and_changes_nothing(
    territory, api_client, action, _s, _setup, allowed, _r, body, wrong, _after
):
    state, setup = wrong
    case = make_case(territory, state, **setup)
    before = snapshot(case)
    body = body_for(body, territory)
    links = CaseLink.objects.count()
    response = act(api_client(territory.user(allowed)), case, action, body)
    assert_error(response, 409)
    assert snapshot(case) == before
    assert CaseLink.objects.count() == links


@pytest.mark.parametrize(("action", "state", "setup", "_a", "_r", "body", "_w", "_after"), ACTIONS, ids=IDS)
def test_leader_reads_but_never_acts(territory, api_client, action, state, setup, _a, _r, body, _w, _after):
    case = make_case(territory, state, **setup)
    client = api_client(territory.user("leader"))
    assert client.get(f"{API}/{case.pk}").status_code == 200
    before = snapshot(case)
    assert_error(act(client, case, action, body_for(body, territory)), 403, "forbidden")
    assert snapshot(case) == before


# --- link (no state refuses it) ---------------------------------------------------------------------------------


def test_link(territory, api_client):
    case = make_case(territory, "registered")
    supplier = make_case(
        territory, "reported", region=territory.grid_b1_1, title="王集村批发点", reporter="grid_b"
    )
    response = act(
        api_client(territory.user("commander")),
        case,
        "link",
        {"target": supplier.number, "kind": "supplied_by", "note": "货源"},
    )
    assert response.status_code == 200, response.content
    out = response.json()
    assert out["state"] == "registered"
    assert out["chain"]["outgoing"] == [
        {
            "kind": "supplied_by",
            "kind_label": "货源来自",
            "number": supplier.number,
            "case_id": supplier.pk,
            "note": "货源",
            "created_at": out["chain"]["outgoing"][0]["created_at"],
        }
    ]
    assert out["timeline"][-1]["action"] == "link"
    assert supplier.events.filter(action="linked").exists()


def test_link_refused_role(territory, api_client):
    case = make_case(territory, "registered")
    other = make_case(territory, "reported", title="另一案件")
    before = snapshot(case)
    response = act(
        api_client(territory.user("township_a")),
        case,
        "link",
        {"target": other.number, "kind": "same_source"},
    )
    assert_error(response, 403, "forbidden")
    assert snapshot(case) == before
    assert not CaseLink.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "supplied_by"}, "target"),
        ({"target": "20260101000001"}, "kind"),
        ({"target": "20260101099999", "kind": "supplied_by"}, "target"),  # no such case
        ({"target": "abc", "kind": "supplied_by"}, "target"),
        ({"target": "SELF", "kind": "supplied_by"}, "target"),
        ({"target": "OTHER", "kind": "married_to"}, "kind"),
    ],
)
def test_link_bad_input(territory, api_client, body, field):
    case = make_case(territory, "registered")
    other = make_case(territory, "reported", title="另一案件")
    body = {k: {"SELF": case.number, "OTHER": other.number}.get(v, v) for k, v in body.items()}
    assert_field_error(act(api_client(territory.user("supervisor")), case, "link", body), field)
    assert not CaseLink.objects.exists()


def test_link_target_out_of_scope_reads_as_missing(territory, api_client, django_user_model):
    """A commander of township A only cannot point to a case of township B: the number reads as unknown."""
    from gridgov.core.roles import Role
    from gridgov.territory.services import grant_add

    local = django_user_model.objects.create(username="commander_a")
    grant_add(actor=None, user=local, role=Role.COMMANDER, region=territory.township_a)
    case = make_case(territory, "registered")
    foreign = make_case(territory, "reported", region=territory.grid_b1_1, reporter="grid_b")
    client = api_client(local)
    hidden = act(client, case, "link", {"target": foreign.number, "kind": "supplied_by"})
    missing = act(client, case, "link", {"target": "20260101099999", "kind": "supplied_by"})
    assert_field_error(hidden, "target")
    assert hidden.json() == missing.json()


# --- notes, bodies, unknown actions -----------------------------------------------------------------------------

NOTE_REQUIRED = [
    ("void", "reported", {}, "supervisor", {}),
    ("return", "dispatched", {}, "officer", {}),
    ("resolve", "handling", {}, "officer", {}),
    ("rework", "resolved", {}, "supervisor", {}),
    ("request_extension", "handling", {}, "officer", {"value": 1, "unit": "days"}),
    ("refuse_extension", "handling", {"extension_pending": True}, "commander", {}),
    ("suspend", "dispatched", {}, "commander", {}),
]


@pytest.mark.parametrize("note", [None, "", "   "], ids=["absent", "empty", "blank"])
@pytest.mark.parametrize(
    ("action", "state", "setup", "user", "body"), NOTE_REQUIRED, ids=[r[0] for r in NOTE_REQUIRED]
)
def test_note_required(territory, api_client, action, state, setup, user, body, note):
    case = make_case(territory, state, **setup)
    before = snapshot(case)
    if note is not None:
        body = {**body, "note": note}
    assert_field_error(act(api_client(territory.user(user)), case, action, body), "note")
    assert snapshot(case) == before


def test_actions_without_a_body(territory, api_client):
    """Actions that need nothing may be posted with no body at all."""
    case = make_case(territory)
    client = api_client(territory.user("supervisor"))
    response = client.generic("POST", f"{API}/{case.pk}/actions/register")  # no body, no content type
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "registered"


def test_unknown_action_is_400_naming_it(territory, api_client):
    case = make_case(territory)
    before = snapshot(case)
    body = assert_field_error(act(api_client(territory.user("supervisor")), case, "approve"), "action")
    assert "register" in body["fields"]["action"][0]
    assert snapshot(case) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "value"),
        ({"value": 2}, "unit"),
        ({"value": 0, "unit": "days"}, "value"),
        ({"value": 61, "unit": "days"}, "value"),
        ({"value": 2, "unit": "weeks"}, "unit"),
        ({"value": "two", "unit": "days"}, "value"),
    ],
)
def test_request_extension_bad_input(territory, api_client, body, field):
    case = make_case(territory, "handling")
    before = snapshot(case)
    response = act(api_client(territory.user("officer")), case, "request_extension", {"note": "送检", **body})
    assert_field_error(response, field)
    assert snapshot(case) == before


def test_second_extension_request_is_409(territory, api_client):
    case = make_case(territory, "handling", extension_pending=True)
    before = snapshot(case)
    body = {"note": "再延", "value": 1, "unit": "days"}
    assert_error(act(api_client(territory.user("officer")), case, "request_extension", body), 409)
    assert snapshot(case) == before


def test_suspended_case_refuses_other_actions(territory, api_client):
    case = make_case(territory, "registered", suspended=True)
    before = snapshot(case)
    response = act(api_client(territory.user("commander")), case, "dispatch", {"department": "yingji"})
    assert_error(response, 409, "suspended")
    assert snapshot(case) == before


def test_merge_moves_the_reports(territory, api_client):
    duplicate = make_case(territory, title="重复")
    keeper = make_case(territory, "registered", title="保留")
    response = act(api_client(territory.user("supervisor")), duplicate, "merge", {"into": keeper.number})
    assert response.status_code == 200, response.content
    assert response.json()["merged_into"] == keeper.number
    detail = api_client(territory.user("supervisor")).get(f"{API}/{keeper.pk}").json()
    assert detail["reports"]["count"] == 2
    assert detail["timeline"][-1]["action"] == "merged"


@pytest.mark.parametrize(
    ("body", "field"),
    [({}, "into"), ({"into": "20260101099999"}, "into"), ({"into": "SELF"}, "into")],
)
def test_merge_bad_input(territory, api_client, body, field):
    case = make_case(territory)
    body = {k: case.number if v == "SELF" else v for k, v in body.items()}
    before = snapshot(case)
    assert_field_error(act(api_client(territory.user("supervisor")), case, "merge", body), field)
    assert snapshot(case) == before


def test_merge_into_a_closed_case_is_409(territory, api_client):
    case = make_case(territory)
    closed = make_case(territory, "closed", title="已结")
    before, closed_before = snapshot(case), snapshot(closed)
    assert_error(act(api_client(territory.user("supervisor")), case, "merge", {"into": closed.number}), 409)
    assert (snapshot(case), snapshot(closed)) == (before, closed_before)


# --- dispatch -------------------------------------------------------------------------------------------------


def test_dispatch_to_a_township_and_a_named_person(territory, api_client):
    case = make_case(territory, "registered")
    response = act(
        api_client(territory.user("commander")),
        case,
        "dispatch",
        {"township": territory.township_a.code, "assignee": "township_a", "note": "请镇里处置"},
    )
    assert response.status_code == 200, response.content
    out = response.json()
    assert out["unit"] == {
        "kind": "township",
        "code": territory.township_a.code,
        "name": territory.township_a.name,
    }
    assert out["assignee"] == {"username": "township_a", "display_name": "township_a"}
    assert out["timeline"][-1]["data"] == {"unit": territory.township_a.name, "assignee": "township_a"}
    # The township's officer may now take the unit's actions.
    accepted = act(api_client(territory.user("township_a")), case, "accept")
    assert accepted.status_code == 200, accepted.content


def test_dispatch_by_department_id(territory, api_client):
    case = make_case(territory, "registered")
    response = act(
        api_client(territory.user("commander")),
        case,
        "dispatch",
        {"department": str(territory.department.pk)},
    )
    assert response.status_code == 200, response.content
    assert response.json()["unit"]["code"] == "yingji"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "department"),
        ({"department": "yingji", "township": "411627101"}, "township"),
        ({"department": "gongan"}, "department"),  # the category's default, but not set up in this county
        ({"department": "no such"}, "department"),
        ({"township": "411627101201"}, "township"),  # a village
        ({"township": "411627999"}, "township"),
        ({"department": "yingji", "assignee": "nobody-here"}, "assignee"),
    ],
)
def test_dispatch_bad_input(territory, api_client, body, field):
    case = make_case(territory, "registered")
    before = snapshot(case)
    assert_field_error(act(api_client(territory.user("commander")), case, "dispatch", body), field)
    assert snapshot(case) == before


def test_dispatch_refuses_an_assignee_outside_the_unit(territory, api_client):
    case = make_case(territory, "registered")
    before = snapshot(case)
    response = act(
        api_client(territory.user("commander")),
        case,
        "dispatch",
        {"department": "yingji", "assignee": "other_officer"},
    )
    assert_field_error(response, "assignee")
    assert snapshot(case) == before


def test_return_clears_the_unit_and_the_clock(territory, api_client):
    case = make_case(territory, "dispatched")
    response = act(api_client(territory.user("officer")), case, "return", {"note": "不属本局职责"})
    assert response.status_code == 200, response.content
    out = response.json()
    assert (out["state"], out["unit"], out["due_at"]) == ("registered", None, None)
    case.refresh_from_db()
    assert case.return_count == 1
    # The department no longer sees the case; the commander finds it back in the inbox.
    assert_not_found(api_client(territory.user("officer")).get(f"{API}/{case.pk}"))
    inbox = api_client(territory.user("commander")).get(f"{API}/inbox").json()["items"]
    assert case.pk in [item["id"] for item in inbox]


def test_rework_counts(territory, api_client):
    case = make_case(territory, "resolved")
    act(api_client(territory.user("supervisor")), case, "rework", {"note": "复查不合格"})
    case.refresh_from_db()
    assert (case.state, case.rework_count, case.resolved_at) == ("handling", 1, None)


def test_extension_request_is_recorded(territory, api_client):
    case = make_case(territory, "handling")
    response = act(
        api_client(territory.user("officer")),
        case,
        "request_extension",
        {"note": "送检", "value": 3, "unit": "hours"},
    )
    assert response.status_code == 200, response.content
    pending = response.json()["pending_extension"]
    assert (pending["value"], pending["unit"], pending["reason"]) == (3, "hours", "送检")
    assert pending["requested_by"]["username"] == "officer"
    request = ExtensionRequest.objects.get(case=case)
    assert (request.state, request.extra_value) == ("pending", 3)


def test_refused_extension_leaves_the_deadline(territory, api_client):
    case = make_case(territory, "handling", extension_pending=True)
    due = case.due_at
    response = act(api_client(territory.user("commander")), case, "refuse_extension", {"note": "理由不充分"})
    assert response.status_code == 200, response.content
    case.refresh_from_db()
    assert (case.due_at, case.extension_count) == (due, 0)
    assert ExtensionRequest.objects.get(case=case).state == "refused"
    assert response.json()["pending_extension"] is None


def test_every_action_is_on_the_timeline_once(territory, api_client):
    """A whole loop through the API: one event per step, in order, with its actor."""
    case = make_case(territory)
    steps = [
        ("supervisor", "register", {}),
        ("commander", "dispatch", {"department": "yingji"}),
        ("officer", "accept", {}),
        ("officer", "resolve", {"note": "已取缔"}),
        ("supervisor", "rework", {"note": "仍有存货"}),
        ("officer", "resolve", {"note": "已清空"}),
        ("supervisor", "close", {"note": "核查通过"}),
    ]
    for username, action, body in steps:
        response = act(api_client(territory.user(username)), case, action, body)
        assert response.status_code == 200, (action, response.content)
    timeline = api_client(territory.user("supervisor")).get(f"{API}/{case.pk}").json()["timeline"]
    assert [(e["action"], e["actor"]["username"]) for e in timeline] == [
        ("report", "grid_a"),
        *[(action, username) for username, action, _ in steps],
    ]
    assert CaseEvent.objects.filter(case=case).count() == len(steps) + 1
    assert Case.objects.get(pk=case.pk).state == "closed"
