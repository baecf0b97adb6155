import pytest

from gridgov.core.models import AuditLog
from gridgov.territory.models import Region
from gridgov.territory.services import grid_add


def test_anonymous_users_are_sent_to_login(client, territory):
    response = client.get(f"/regions/{territory.county.code}/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_region_browser_redirects_to_the_single_root(territory, client_for):
    response = client_for(territory.user("township_a")).get("/regions/")
    assert response.status_code == 302
    assert response["Location"] == f"/regions/{territory.township_a.code}/"


def test_county_page_lists_townships_with_counts(territory, client_for):
    html = client_for(territory.user("admin")).get(f"/regions/{territory.county.code}/").content.decode()
    assert "常营镇" in html and "王集乡" in html
    assert "4 个网格" in html
    assert "2 个下级" in html


@pytest.mark.parametrize(
    ("username", "attr", "status"),
    [
        ("admin", "grid_b1_1", 200),
        ("leader", "grid_b1_1", 200),
        ("township_a", "village_a1", 200),
        ("township_a", "township_b", 404),
        ("township_b", "grid_a1_1", 404),
        ("grid_a", "grid_a1_1", 200),
        ("grid_a", "village_a1", 404),
        ("grid_a", "grid_a1_2", 404),
        ("nobody", "county", 404),
    ],
)
def test_who_may_open_which_region(territory, client_for, username, attr, status):
    code = getattr(territory, attr).code
    assert client_for(territory.user(username)).get(f"/regions/{code}/").status_code == status


def test_unknown_code_is_a_404_not_an_error(territory, client_for):
    assert client_for(territory.user("admin")).get("/regions/not-a-code/").status_code == 404


def test_grid_page_shows_its_people_and_breadcrumbs(territory, client_for):
    html = (
        client_for(territory.user("township_a")).get(f"/regions/{territory.grid_a1_1.code}/").content.decode()
    )
    assert "网格人员" in html and "grid_a" in html
    assert f'href="/regions/{territory.township_a.code}/"' in html
    assert f'href="/regions/{territory.county.code}/"' not in html  # the county is out of this user's scope


def test_management_forms_only_for_managers(territory, client_for):
    url = f"/regions/{territory.village_a1.code}/"
    assert "新增网格" in client_for(territory.user("township_a")).get(url).content.decode()
    assert "新增网格" not in client_for(territory.user("leader")).get(url).content.decode()
    assert "新增网格" not in client_for(territory.user("supervisor")).get(url).content.decode()


def test_add_grid_through_the_page(territory, client_for):
    client = client_for(territory.user("township_a"))
    response = client.post(
        f"/regions/{territory.village_a1.code}/grids/add/", {"name": "集贸市场网格"}, follow=True
    )
    assert response.status_code == 200
    assert "已新增网格 集贸市场网格" in response.content.decode()
    assert Region.objects.filter(parent=territory.village_a1, name="集贸市场网格").exists()


def test_bad_input_keeps_the_page_and_names_the_field(territory, client_for):
    client = client_for(territory.user("township_a"))
    before = Region.objects.count()
    response = client.post(f"/regions/{territory.village_a1.code}/grids/add/", {"name": ""})
    assert response.status_code == 400
    assert "这个字段是必填项" in response.content.decode()
    response = client.post(f"/regions/{territory.grid_a1_1.code}/retire/", {"reason": "合并"})
    assert response.status_code == 400
    assert "仍有人员授权" in response.content.decode()
    assert Region.objects.count() == before
    assert Region.objects.get(pk=territory.grid_a1_1.pk).is_active


@pytest.mark.parametrize("username", ["township_b", "leader", "grid_a", "officer"])
def test_writes_outside_scope_or_by_readers_are_refused(territory, client_for, username):
    client = client_for(territory.user(username))
    response = client.post(f"/regions/{territory.village_a1.code}/grids/add/", {"name": "越权"})
    assert response.status_code in (400, 404)
    assert not Region.objects.filter(name="越权").exists()
    assert not AuditLog.objects.filter(action="grid.add").exists()


def test_split_and_retire_and_rename_through_the_pages(territory, client_for):
    client = client_for(territory.user("admin"))
    grid = territory.village_b2.children.order_by("code").first()
    client.post(f"/regions/{grid.code}/rename/", {"name": "东片"})
    client.post(f"/regions/{grid.code}/split/", {"names": "东片北\n东片南\n", "keep_name": ""})
    client.post(f"/regions/{grid.code}/retire/", {"reason": "拆分完成"})
    names = dict(territory.village_b2.children.values_list("name", "is_active"))
    assert names == {"东片": False, "第2网格": True, "东片北": True, "东片南": True}
    html = client.get(f"/regions/{territory.village_b2.code}/").content.decode()
    assert "已撤销的网格" in html and "拆分完成" in html


def test_get_on_a_write_url_is_refused(territory, client_for):
    response = client_for(territory.user("admin")).get(f"/regions/{territory.village_a1.code}/grids/add/")
    assert response.status_code == 405


def test_region_page_query_count_is_constant(territory, client_for, django_assert_max_num_queries):
    client = client_for(territory.user("admin"))
    url = f"/regions/{territory.township_a.code}/"
    with django_assert_max_num_queries(12) as first:
        client.get(url)
    for i in range(10):
        grid_add(actor=None, village=territory.village_a1, name=f"网格{i}")
    with django_assert_max_num_queries(len(first.captured_queries)):
        client.get(url)
    village_url = f"/regions/{territory.village_a1.code}/"
    with django_assert_max_num_queries(len(first.captured_queries)):
        client.get(village_url)


def test_search_finds_regions_in_scope_only(territory, client_for):
    html = client_for(territory.user("township_a")).get("/regions/?q=村").content.decode()
    assert "常营西村" in html and "王集村" not in html


def test_nul_characters_in_the_query_are_a_clear_400(territory, client_for):
    response = client_for(territory.user("admin")).get("/regions/?q=%00村")
    assert response.status_code == 400
    assert "非法字符" in response.content.decode()


def test_not_found_page_is_the_platforms_own(territory, client_for):
    response = client_for(territory.user("grid_a")).get(f"/regions/{territory.county.code}/")
    html = response.content.decode()
    assert response.status_code == 404
    assert "页面不存在，或不在您的管辖范围内" in html and "返回工作台" in html
    assert "太康县" not in html  # nothing about the hidden region leaks


def test_a_field_with_an_error_is_marked_and_focused(territory, client_for):
    response = client_for(territory.user("admin")).post(
        f"/regions/{territory.village_a1.code}/grids/add/", {"name": " "}
    )
    html = response.content.decode()
    assert 'aria-invalid="true"' in html and "autofocus" in html
