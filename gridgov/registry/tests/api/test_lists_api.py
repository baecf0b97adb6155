"""Registry lists: paginated, and their query count does not grow with the page (ARCHITECTURE §6)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gridgov.registry.models import Place
from gridgov.registry.services.records import place_check
from gridgov.registry.tests.api.conftest import KINDS, items, list_url, make_row


def count_queries(client, url, params=None) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params or {})
    return len(ctx.captured_queries), len(items(response))


def add_rows(territory, start: int, count: int) -> None:
    grids = [territory.grid_a1_1, territory.grid_a1_2]
    for n in range(start, start + count):
        row = make_row(grids[n % 2], n)
        # Checked places have a checker to show: that join must not cost a query per row.
        place_check(actor=territory.user("township_a"), place=row.place, status=Place.Registration.REGISTERED)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("region", [None, "411627101"])
def test_query_count_does_not_grow_with_the_page(territory, client_for, kind, region):
    params = {"region": region} if region else {}
    add_rows(territory, 10, 3)
    with_three = count_queries(client_for(territory.user("township_a")), list_url(kind), params)
    add_rows(territory, 20, 27)
    with_thirty = count_queries(client_for(territory.user("township_a")), list_url(kind), params)
    assert (with_three[1], with_thirty[1]) == (3, 30)
    assert with_thirty[0] == with_three[0]
    # session, user, grants, [region,] count, page
    assert with_thirty[0] <= (6 if region else 5)


@pytest.mark.parametrize("kind", KINDS)
def test_pagination(territory, client_for, kind):
    add_rows(territory, 10, 5)
    client = client_for(territory.user("admin"))
    everything = client.get(list_url(kind)).json()
    assert (everything["count"], everything["page"], everything["page_size"]) == (5, 1, 50)
    order = [item["id"] for item in everything["items"]]
    assert len(order) == 5

    first = client.get(list_url(kind), {"page_size": 2}).json()
    assert (first["count"], first["page"], first["page_size"]) == (5, 1, 2)
    second = client.get(list_url(kind), {"page_size": 2, "page": 2}).json()
    last = client.get(list_url(kind), {"page_size": 2, "page": 3}).json()
    assert [item["id"] for page in (first, second, last) for item in page["items"]] == order
    assert len(last["items"]) == 1
    beyond = client.get(list_url(kind), {"page_size": 2, "page": 4}).json()
    assert beyond == {"count": 5, "page": 4, "page_size": 2, "items": []}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"page_size": 0}, "page_size"),
        ({"page_size": 501}, "page_size"),
        ({"page": 0}, "page"),
        ({"page": "x"}, "page"),
    ],
)
def test_bad_paging_is_400(territory, client_for, kind, params, field):
    response = client_for(territory.user("admin")).get(list_url(kind), params)
    assert response.status_code == 400
    assert list(response.json()["fields"]) == [field]
