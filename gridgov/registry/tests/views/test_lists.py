"""The hub and the four ledger lists: scope, filters, search, masking, pagination, query counts."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gridgov.registry.models import Place
from gridgov.registry.services.records import place_check
from gridgov.registry.tests.factories import make_id
from gridgov.registry.tests.views.conftest import (
    HEAD_IDS,
    MEMBER_ID,
    PHONES,
    add_household,
    add_licence,
    add_place,
    add_resident,
)


def links(response, name: str) -> set[int]:
    html = response.content.decode()
    body = html.split('id="rows"', 1)[1] if 'id="rows"' in html else ""
    return {int(pk) for pk in re.findall(rf'href="/registry/{name}/(\d+)/"', body)}


# --- scope -------------------------------------------------------------------------------------------------

HOUSEHOLD_SCOPE = [
    ("admin", {"HA1", "HA2", "HB1"}),
    ("supervisor", {"HA1", "HA2", "HB1"}),
    ("leader", {"HA1", "HA2", "HB1"}),
    ("township_a", {"HA1", "HA2"}),
    ("township_b", {"HB1"}),
    ("grid_a", {"HA1"}),
    ("grid_a2", {"HA2"}),
    ("grid_b", {"HB1"}),
]


@pytest.mark.parametrize(("username", "codes"), HOUSEHOLD_SCOPE)
def test_household_list_shows_only_the_users_scope(ledger, client_for, username, codes):
    response = client_for(ledger.user(username)).get("/registry/households/")
    assert response.status_code == 200
    assert links(response, "households") == {ledger.households[c].pk for c in codes}


@pytest.mark.parametrize(("username", "codes"), HOUSEHOLD_SCOPE)
def test_resident_list_shows_only_the_users_scope(ledger, client_for, username, codes):
    response = client_for(ledger.user(username)).get("/registry/residents/")
    assert response.status_code == 200
    expected = {ledger.residents[c].pk for c in codes}
    if "HA1" in codes:
        expected.add(ledger.residents["child"].pk)
    assert links(response, "residents") == expected


@pytest.mark.parametrize(
    ("username", "places"),
    [
        ("admin", {"shop", "fireworks"}),
        ("officer", {"shop", "fireworks"}),  # departments inspect places county-wide
        ("reward", {"shop", "fireworks"}),
        ("leader", {"shop", "fireworks"}),
        ("township_a", {"shop"}),
        ("township_b", {"fireworks"}),
        ("grid_a", {"shop"}),
        ("grid_a2", set()),
    ],
)
def test_place_list_shows_only_the_users_scope(ledger, client_for, username, places):
    response = client_for(ledger.user(username)).get("/registry/places/")
    assert response.status_code == 200
    assert links(response, "places") == {ledger.places[p].pk for p in places}


@pytest.mark.parametrize(
    ("username", "licences"),
    [
        ("admin", {"expiring", "expired", "valid"}),
        ("officer", {"expiring", "expired", "valid"}),
        ("township_a", {"expiring"}),
        ("township_b", {"expired", "valid"}),
        ("grid_a", {"expiring"}),
        ("grid_b", {"expired", "valid"}),
    ],
)
def test_licence_list_shows_only_the_users_scope(ledger, client_for, username, licences):
    response = client_for(ledger.user(username)).get("/registry/licences/")
    assert response.status_code == 200
    assert links(response, "licences") == {ledger.licences[name].pk for name in licences}


@pytest.mark.parametrize("url", ["/registry/households/", "/registry/residents/"])
@pytest.mark.parametrize("username", ["officer", "other_officer", "reward", "nobody"])
def test_people_ledgers_do_not_exist_for_roles_that_do_not_work_with_people(
    ledger, client_for, url, username
):
    assert client_for(ledger.user(username)).get(url).status_code == 404


@pytest.mark.parametrize("url", ["/registry/places/", "/registry/licences/"])
def test_user_without_grants_sees_no_ledger(ledger, client_for, url):
    assert client_for(ledger.user("nobody")).get(url).status_code == 404


def test_anonymous_users_are_sent_to_login(ledger, client):
    response = client.get("/registry/households/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_region_filter_narrows_and_refuses_regions_out_of_scope(ledger, client_for):
    t = ledger.territory
    admin = client_for(ledger.user("admin"))
    response = admin.get(f"/registry/households/?region={t.township_b.code}")
    assert links(response, "households") == {ledger.households["HB1"].pk}
    response = admin.get(f"/registry/households/?region={t.grid_a1_2.code}")
    assert links(response, "households") == {ledger.households["HA2"].pk}

    township_a = client_for(ledger.user("township_a"))
    assert township_a.get(f"/registry/households/?region={t.township_b.code}").status_code == 404
    assert township_a.get(f"/registry/places/?region={t.county.code}").status_code == 404
    assert township_a.get("/registry/households/?region=not-a-code").status_code == 404
    response = township_a.get(f"/registry/households/?region={t.village_a1.code}")
    assert links(response, "households") == {ledger.households["HA1"].pk, ledger.households["HA2"].pk}


def test_list_offers_the_regions_one_level_down(ledger, client_for):
    html = client_for(ledger.user("admin")).get("/registry/households/?tag=返乡").content.decode()
    t = ledger.territory
    # Tapping a township keeps the other filters and starts again at page 1.
    assert f'href="?tag=%E8%BF%94%E4%B9%A1&amp;region={t.township_a.code}"' in html
    assert "常营镇" in html and "王集乡" in html


# --- search, filters, masking ------------------------------------------------------------------------------


def test_search_households_by_code_name_and_address(ledger, client_for):
    client = client_for(ledger.user("admin"))
    assert links(client.get("/registry/households/?q=HB"), "households") == {ledger.households["HB1"].pk}
    assert links(client.get("/registry/households/?q=户主HA2"), "households") == {ledger.households["HA2"].pk}
    assert links(client.get("/registry/households/?q=常营西村"), "households") == {
        ledger.households["HA1"].pk,
        ledger.households["HA2"].pk,
    }


def test_search_by_full_id_number_goes_through_the_blind_index(ledger, client_for):
    client = client_for(ledger.user("admin"))
    response = client.get("/registry/residents/", {"q": MEMBER_ID})
    assert links(response, "residents") == {ledger.residents["child"].pk}
    assert "按身份证号精确查找" in response.content.decode()
    # Spaces and a lower-case x are how people type them.
    spaced = f" {MEMBER_ID[:6]} {MEMBER_ID[6:14]} {MEMBER_ID[14:].lower()} "
    assert links(client.get("/registry/residents/", {"q": spaced}), "residents") == {
        ledger.residents["child"].pk
    }
    # A household is found by its head's ID and by any member's.
    assert links(client.get("/registry/households/", {"q": HEAD_IDS["HB1"]}), "households") == {
        ledger.households["HB1"].pk
    }
    assert links(client.get("/registry/households/", {"q": MEMBER_ID}), "households") == {
        ledger.households["HA1"].pk
    }
    # Part of a number finds nothing: numbers are stored sealed, never as searchable text.
    assert links(client.get("/registry/residents/", {"q": MEMBER_ID[:10]}), "residents") == set()
    # An ID that is registered nowhere finds nothing, and one out of scope stays out of scope.
    assert links(client.get("/registry/residents/", {"q": make_id(sequence="999")}), "residents") == set()
    grid_b = client_for(ledger.user("grid_b"))
    assert links(grid_b.get("/registry/residents/", {"q": MEMBER_ID}), "residents") == set()


@pytest.mark.parametrize("url", ["/registry/households/", "/registry/residents/", "/registry/places/"])
def test_lists_show_personal_numbers_masked_only(ledger, client_for, url):
    html = client_for(ledger.user("admin")).get(url).content.decode()
    for number in [*HEAD_IDS.values(), MEMBER_ID, *PHONES.values(), "13900001111"]:
        assert number not in html
    if "places" in url:
        assert "139****1111" in html
    else:
        assert f"4116**********{HEAD_IDS['HA1'][-4:]}" in html
        assert "138****5671" in html


def test_tag_filter(ledger, client_for):
    client = client_for(ledger.user("admin"))
    assert links(client.get("/registry/households/?tag=独居老人"), "households") == {
        ledger.households["HA1"].pk
    }
    assert links(client.get("/registry/residents/?tag=留守儿童"), "residents") == {
        ledger.residents["child"].pk
    }
    assert links(client.get("/registry/households/?tag=独居"), "households") == set()  # whole tags only


def test_place_filters_kind_registration_and_fireworks(ledger, client_for):
    place_check(
        actor=ledger.user("grid_b"),
        place=ledger.places["fireworks"],
        status=Place.Registration.REGISTERED,
        sells_fireworks=True,
    )
    client = client_for(ledger.user("admin"))
    shop, fireworks = ledger.places["shop"].pk, ledger.places["fireworks"].pk
    assert links(client.get("/registry/places/?kind=supermarket"), "places") == {shop}
    assert links(client.get("/registry/places/?registration=registered"), "places") == {fireworks}
    assert links(client.get("/registry/places/?registration=unchecked"), "places") == {shop}
    assert links(client.get("/registry/places/?sells_fireworks=yes"), "places") == {fireworks}
    assert links(client.get("/registry/places/?sells_fireworks=no"), "places") == {shop}
    assert links(client.get("/registry/places/?q=超市"), "places") == {shop}
    # A value that is not a choice is dropped, not an error page.
    response = client.get("/registry/places/?kind=spaceport")
    assert response.status_code == 200
    assert links(response, "places") == {shop, fireworks}


def test_licence_expiry_filter_and_badges(ledger, client_for):
    client = client_for(ledger.user("admin"))
    licences = ledger.licences
    assert links(client.get("/registry/licences/?expiry=expired"), "licences") == {licences["expired"].pk}
    assert links(client.get("/registry/licences/?expiry=expiring"), "licences") == {licences["expiring"].pk}
    assert links(client.get("/registry/licences/?expiry=valid"), "licences") == {
        licences["expiring"].pk,
        licences["valid"].pk,
    }
    html = client.get("/registry/licences/").content.decode()
    assert '<span class="badge red">已过期</span>' in html
    assert '<span class="badge amber">即将到期</span>' in html
    assert '<span class="badge green">有效</span>' in html


def test_pages_keep_the_filters(ledger, client_for):
    for n in range(55):
        add_household(f"HT{n:03d}", ledger.territory.grid_a1_1, tags=["外出务工"])
    client = client_for(ledger.user("township_a"))
    first = client.get("/registry/households/?tag=外出务工")
    assert len(links(first, "households")) == 50
    html = first.content.decode()
    assert "共 55 条" in html
    assert 'href="?tag=%E5%A4%96%E5%87%BA%E5%8A%A1%E5%B7%A5&amp;page=2"' in html
    second = client.get("/registry/households/?tag=外出务工&page=2")
    assert len(links(second, "households")) == 5
    assert not links(second, "households") & links(first, "households")
    # A page number that is not one gives the last page, not an error.
    assert client.get("/registry/households/?tag=外出务工&page=zz").status_code == 200


def test_create_button_only_for_users_who_may_write(ledger, client_for):
    assert "新增户" in client_for(ledger.user("grid_a")).get("/registry/households/").content.decode()
    assert "新增户" not in client_for(ledger.user("leader")).get("/registry/households/").content.decode()
    assert "新增户" not in client_for(ledger.user("supervisor")).get("/registry/households/").content.decode()
    assert "新增许可证" in client_for(ledger.user("officer")).get("/registry/licences/").content.decode()
    assert (
        "新增许可证" not in client_for(ledger.user("township_a")).get("/registry/licences/").content.decode()
    )


# --- query counts ------------------------------------------------------------------------------------------


def _grow(ledger, prefix: str, n: int, first_sequence: int) -> None:
    """Adds n households (each with a resident), places and licences in township A."""
    t = ledger.territory
    for i in range(n):
        grid = t.grid_a1_1 if i % 2 else t.grid_a1_2
        number = make_id(sequence=f"{first_sequence + i:03d}")
        household = add_household(f"{prefix}{i:03d}", grid, head_id=number, tags=["返乡"])
        add_resident(household, f"居民{prefix}{i}", number, tags=["返乡"])
        place = add_place(f"商店{prefix}{i:03d}", grid, phone="13900002222")
        add_licence(f"(豫){prefix}-{i:03d}", place, ledger.licences["valid"].valid_to)


@pytest.mark.parametrize(
    "url",
    [
        "/registry/",
        "/registry/households/",
        "/registry/households/?tag=返乡&q=H",
        "/registry/residents/",
        "/registry/places/?kind=shop",
        "/registry/places/",
        "/registry/licences/",
        "/registry/licences/?expiry=valid",
    ],
)
@pytest.mark.parametrize("username", ["admin", "township_a"])
def test_list_query_count_does_not_grow_with_rows(
    ledger, client_for, django_assert_max_num_queries, url, username
):
    client = client_for(ledger.user(username))
    _grow(ledger, "HQ", 3, 500)
    client.get(url)  # warm-up: whatever is loaded once per process is not what this test is about
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    _grow(ledger, "HR", 27, 700)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(url)
    assert response.status_code == 200
    if url != "/registry/":
        assert len(re.findall(r'class="list-item"', response.content.decode())) >= 30


# --- hub ---------------------------------------------------------------------------------------------------


def test_hub_counts_only_the_ledgers_the_user_may_read(ledger, client_for):
    html = client_for(ledger.user("township_a")).get("/registry/").content.decode()
    assert 'id="hub-households"' in html and 'id="hub-places"' in html
    hub = re.findall(r'id="hub-(\w+)".*?<span class="num">(\d+)</span>', html, re.S)
    assert dict(hub) == {"households": "2", "residents": "3", "places": "1", "licences": "1"}

    html = client_for(ledger.user("officer")).get("/registry/").content.decode()
    assert 'id="hub-households"' not in html and 'id="hub-residents"' not in html
    assert dict(re.findall(r'id="hub-(\w+)".*?<span class="num">(\d+)</span>', html, re.S)) == {
        "places": "2",
        "licences": "3",
    }
    assert "已过期 1" in html and "30 天内到期 1" in html

    html = client_for(ledger.user("nobody")).get("/registry/").content.decode()
    assert "没有可查看的台账" in html
