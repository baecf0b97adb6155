"""Record pages: scope, what they show, and showing personal numbers in clear (permission, reason, access log)."""

import pytest
from django.utils import timezone

from gridgov.core.models import AccessLog
from gridgov.registry.models import Place
from gridgov.registry.services.records import place_check
from gridgov.registry.tests.views.conftest import HEAD_IDS, MEMBER_ID, PHONES, with_unmask

DETAIL_SCOPE = [
    # (user, household HA1 / resident child / place shop / licence expiring — all in grid A1-1)
    ("admin", 200, 200, 200, 200),
    ("supervisor", 200, 200, 200, 200),
    ("leader", 200, 200, 200, 200),
    ("township_a", 200, 200, 200, 200),
    ("township_b", 404, 404, 404, 404),
    ("grid_a", 200, 200, 200, 200),
    ("grid_a2", 404, 404, 404, 404),
    ("grid_b", 404, 404, 404, 404),
    ("officer", 404, 404, 200, 200),
    ("reward", 404, 404, 200, 200),
    ("nobody", 404, 404, 404, 404),
]


@pytest.mark.parametrize(("username", "household", "resident", "place", "licence"), DETAIL_SCOPE)
def test_who_may_open_which_record(ledger, client_for, username, household, resident, place, licence):
    client = client_for(ledger.user(username))
    assert client.get(f"/registry/households/{ledger.households['HA1'].pk}/").status_code == household
    assert client.get(f"/registry/residents/{ledger.residents['child'].pk}/").status_code == resident
    assert client.get(f"/registry/places/{ledger.places['shop'].pk}/").status_code == place
    assert client.get(f"/registry/licences/{ledger.licences['expiring'].pk}/").status_code == licence


@pytest.mark.parametrize("kind", ["households", "residents", "places", "licences"])
@pytest.mark.parametrize("pk", ["999999", "0"])
def test_missing_records_are_404(ledger, client_for, kind, pk):
    assert client_for(ledger.user("admin")).get(f"/registry/{kind}/{pk}/").status_code == 404


def test_household_page_shows_its_residents_masked(ledger, client_for):
    html = (
        client_for(ledger.user("grid_a")).get(f"/registry/households/{ledger.households['HA1'].pk}/").content
    )
    html = html.decode()
    assert "户主HA1" in html and "张小明" in html and "家庭成员（2）" in html
    assert f"4116**********{MEMBER_ID[-4:]}" in html and "138****5671" in html
    for number in (HEAD_IDS["HA1"], MEMBER_ID, PHONES["HA1"]):
        assert number not in html
    assert "编辑" in html and "添加成员" in html


def test_read_only_users_see_no_edit_buttons(ledger, client_for):
    for url in (
        f"/registry/households/{ledger.households['HA1'].pk}/",
        f"/registry/residents/{ledger.residents['child'].pk}/",
        f"/registry/places/{ledger.places['shop'].pk}/",
        f"/registry/licences/{ledger.licences['expiring'].pk}/",
    ):
        html = client_for(ledger.user("leader")).get(url).content.decode()
        assert "/edit/" not in html and "记录排查结果" not in html and "添加成员" not in html


def test_place_page_shows_licences_and_who_checked_it_when(ledger, client_for):
    place = ledger.places["fireworks"]
    client = client_for(ledger.user("township_b"))
    html = client.get(f"/registry/places/{place.pk}/").content.decode()
    assert "未排查" in html and "(豫)YH-0002" in html and "(豫)YH-0003" in html and "许可证（2）" in html
    place_check(
        actor=ledger.user("grid_b"), place=place, status=Place.Registration.REGISTERED, sells_fireworks=True
    )
    place.refresh_from_db()
    html = client.get(f"/registry/places/{place.pk}/").content.decode()
    assert '<span class="badge green">已登记</span>' in html
    assert "grid_b" in html
    assert timezone.localtime(place.checked_at).strftime("%Y-%m-%d %H:%M") in html


# --- unmasking ---------------------------------------------------------------------------------------------


def test_unmask_form_only_for_users_with_the_permission(ledger, client_for):
    url = f"/registry/households/{ledger.households['HA1'].pk}/"
    assert "查看明文" not in client_for(ledger.user("admin")).get(url).content.decode()
    assert "查看明文" in client_for(with_unmask(ledger.user("admin"))).get(url).content.decode()


def test_unmask_without_the_permission_is_refused(ledger, client_for):
    url = f"/registry/households/{ledger.households['HA1'].pk}/unmask/"
    response = client_for(ledger.user("admin")).post(url, {"reason": "入户核实身份"})
    assert response.status_code == 403
    assert HEAD_IDS["HA1"] not in response.content.decode()
    assert not AccessLog.objects.exists()


def test_unmask_needs_a_reason(ledger, client_for):
    client = client_for(with_unmask(ledger.user("admin")))
    response = client.post(f"/registry/households/{ledger.households['HA1'].pk}/unmask/", {"reason": " 看 "})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'aria-invalid="true"' in html and HEAD_IDS["HA1"] not in html
    assert not AccessLog.objects.exists()


@pytest.mark.parametrize(
    ("kind", "key", "numbers"),
    [
        ("households", "HA1", [HEAD_IDS["HA1"], PHONES["HA1"]]),
        ("residents", "child", [MEMBER_ID]),
        ("places", "shop", ["13900001111"]),
    ],
)
def test_unmask_shows_clear_values_once_and_logs_the_access(ledger, client_for, kind, key, numbers):
    obj = {"households": ledger.households, "residents": ledger.residents, "places": ledger.places}[kind][key]
    admin = with_unmask(ledger.user("admin"))
    client = client_for(admin)
    response = client.post(f"/registry/{kind}/{obj.pk}/unmask/", {"reason": "入户核实身份信息"})
    assert response.status_code == 200
    html = response.content.decode()
    for number in numbers:
        assert number in html
    assert "明文（仅本次显示）" in html
    assert "no-store" in response["Cache-Control"]
    log = AccessLog.objects.get()
    assert (log.actor_id, log.action, log.object_id, log.reason) == (
        admin.pk,
        AccessLog.Action.UNMASK,
        str(obj.pk),
        "入户核实身份信息",
    )
    # Nothing is kept: the next visit shows masked values again.
    html = client.get(f"/registry/{kind}/{obj.pk}/").content.decode()
    for number in numbers:
        assert number not in html


def test_unmask_out_of_scope_is_404_even_with_the_permission(ledger, client_for):
    user = with_unmask(ledger.user("township_b"))
    response = client_for(user).post(
        f"/registry/households/{ledger.households['HA1'].pk}/unmask/", {"reason": "入户核实身份"}
    )
    assert response.status_code == 404
    assert not AccessLog.objects.exists()


def test_unmask_is_post_only(ledger, client_for):
    client = client_for(with_unmask(ledger.user("admin")))
    assert client.get(f"/registry/households/{ledger.households['HA1'].pk}/unmask/").status_code == 405
