"""Personal numbers leave the API masked, always; …/unmask gives them in clear only with the permission and a
reason, and writes the access log (ARCHITECTURE §7)."""

import json

import pytest

from gridgov.accounts.services import api_token_create
from gridgov.core.models import AccessLog
from gridgov.registry.tests.api.conftest import (
    API,
    KINDS,
    assert_field_error,
    assert_not_found,
    detail_url,
    list_url,
    patch,
    post,
    with_unmask,
)
from gridgov.registry.tests.factories import make_id

UNMASKABLE = {
    # kind: (the row's clear numbers as (field, index into Row.clear), masked fields in the output)
    "households": ({"head_id": 0, "phone": 1}, {"head_id_masked", "phone_masked"}),
    "residents": ({"id_number": 2, "phone": 3}, {"id_number_masked", "phone_masked"}),
    "places": ({"phone": 4}, {"phone_masked"}),
}
REASON = "入户走访核实联系方式"


def walk_keys(value):
    if isinstance(value, dict):
        for key, inner in value.items():
            yield key
            yield from walk_keys(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from walk_keys(inner)


def test_no_response_carries_a_clear_number(registry, client_for, territory):
    """Every read and write answer, for every kind, at every level: masked numbers only, no sealed or index
    columns, and the clear numbers nowhere (not even inside an error message)."""
    bodies = []
    new_id, new_phone = make_id(birth="19800202", sequence="404"), "13700001111"
    for username in ("admin", "township_a", "grid_a", "leader", "officer"):
        client = client_for(territory.user(username))
        for kind in KINDS:
            bodies.append(
                client.get(list_url(kind), {"include_inactive": "true"} if kind != "licences" else {})
            )
            bodies.append(client.get(detail_url(kind, registry.a1.obj(kind).pk)))
    client = client_for(territory.user("admin"))
    bodies += [
        post(
            client,
            list_url("households"),
            {
                "code": "HH-P",
                "grid": territory.grid_a1_1.code,
                "address": "x",
                "head_name": "y",
                "head_id": new_id,
                "phone": new_phone,
            },
        ),
        post(
            client,
            list_url("residents"),
            {"household": "HH-P", "name": "z", "id_number": new_id, "phone": new_phone},
        ),
        # The duplicate-ID error names the household, not the number.
        post(
            client,
            list_url("residents"),
            {"household": "HH-P", "name": "z2", "id_number": registry.a1.clear[2]},
        ),
        post(
            client,
            list_url("places"),
            {
                "kind": "shop",
                "name": "p",
                "grid": territory.grid_a1_1.code,
                "address": "a",
                "phone": new_phone,
            },
        ),
        patch(client, detail_url("households", registry.a1.household.pk), {"phone": registry.a2.clear[1]}),
        patch(client, detail_url("residents", registry.b1.resident.pk), {"tags": ["返乡"]}),
        patch(client, detail_url("places", registry.b1.place.pk), {"phone": registry.a2.clear[4]}),
        post(
            client,
            f"{detail_url('places', registry.a1.place.pk)}/check",
            {"registration_status": "registered"},
        ),
    ]
    assert [r.status_code for r in bodies[-8:]] == [201, 201, 400, 201, 200, 200, 200, 200]
    clear = [*registry.clear_numbers, new_id, new_phone]
    masked_seen = set()
    for response in bodies:
        text = response.content.decode()
        for number in clear:
            assert number not in text, (response.request["PATH_INFO"], number)
        keys = set(walk_keys(json.loads(text)))
        assert not {k for k in keys if "sealed" in k or "index" in k}, keys
        masked_seen |= {k for k in keys if k.endswith("_masked")}
    assert masked_seen == {"head_id_masked", "phone_masked", "id_number_masked"}


@pytest.mark.parametrize("kind", list(UNMASKABLE))
def test_unmask_gives_clear_values_and_writes_the_access_log(registry, client_for, territory, kind):
    fields, _masked = UNMASKABLE[kind]
    user = with_unmask(territory.user("township_a"))
    obj = registry.a1.obj(kind)
    response = post(client_for(user), f"{detail_url(kind, obj.pk)}/unmask", {"reason": REASON})
    assert response.status_code == 200, response.content
    assert response.json() == {name: registry.a1.clear[i] for name, i in fields.items()}
    assert response["Cache-Control"] == "no-store"
    log = AccessLog.objects.get()
    assert (log.actor, log.action, log.object_type, log.object_id, log.reason) == (
        user,
        AccessLog.Action.UNMASK,
        obj._meta.label_lower,
        str(obj.pk),
        REASON,
    )
    assert set(log.fields.split(",")) == set(fields)


@pytest.mark.parametrize("kind", list(UNMASKABLE))
def test_unmask_without_the_permission_is_403_and_logs_nothing(registry, client_for, territory, kind):
    obj = registry.a1.obj(kind)
    response = post(
        client_for(territory.user("township_a")), f"{detail_url(kind, obj.pk)}/unmask", {"reason": REASON}
    )
    assert response.status_code == 403, response.content
    assert response.json()["code"] == "forbidden"
    for number in registry.a1.clear:
        assert number not in response.content.decode()
    assert not AccessLog.objects.exists()


@pytest.mark.parametrize("kind", list(UNMASKABLE))
@pytest.mark.parametrize(
    "data", [{"reason": ""}, {"reason": "   "}, {"reason": "看看"}, {}, {"reason": None}]
)
def test_unmask_without_a_reason_is_400_and_logs_nothing(registry, client_for, territory, kind, data):
    obj = registry.a1.obj(kind)
    user = with_unmask(territory.user("admin"))
    response = post(client_for(user), f"{detail_url(kind, obj.pk)}/unmask", data)
    assert_field_error(response, "reason")
    for number in registry.a1.clear:
        assert number not in response.content.decode()
    assert not AccessLog.objects.exists()


@pytest.mark.parametrize("kind", list(UNMASKABLE))
def test_unmask_outside_scope_is_404_even_with_the_permission(registry, client_for, territory, kind):
    user = with_unmask(territory.user("grid_a"))
    client = client_for(user)
    for row in (registry.a2, registry.b1):
        assert_not_found(post(client, f"{detail_url(kind, row.obj(kind).pk)}/unmask", {"reason": REASON}))
    assert not AccessLog.objects.exists()
    assert (
        post(client, f"{detail_url(kind, registry.a1.obj(kind).pk)}/unmask", {"reason": REASON}).status_code
        == 200
    )


@pytest.mark.parametrize("kind", ["households", "residents"])
def test_department_officer_cannot_unmask_people_even_with_the_permission(
    registry, client_for, territory, kind
):
    user = with_unmask(territory.user("officer"))
    assert_not_found(
        post(client_for(user), f"{detail_url(kind, registry.a1.obj(kind).pk)}/unmask", {"reason": REASON})
    )
    assert not AccessLog.objects.exists()


def test_unmask_is_post_only(registry, client_for, territory):
    user = with_unmask(territory.user("admin"))
    response = client_for(user).get(f"{detail_url('households', registry.a1.household.pk)}/unmask")
    assert response.status_code == 405
    assert not AccessLog.objects.exists()


def test_unmask_with_a_bearer_token(registry, client, territory):
    user = with_unmask(territory.user("grid_a"))
    _token, plain = api_token_create(actor=None, user=user, name="t")
    response = client.post(
        f"{API}/residents/{registry.a1.resident.pk}/unmask",
        {"reason": REASON},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {plain}",
    )
    assert response.status_code == 200, response.content
    assert response.json()["id_number"] == registry.a1.clear[2]
    assert AccessLog.objects.get().actor == user
