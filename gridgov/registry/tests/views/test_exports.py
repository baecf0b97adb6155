"""Ledger export from the list pages: masked by default, clear values only with the permission and a reason."""

import io
from urllib.parse import quote

import pytest
from django.utils import timezone
from python_calamine import CalamineWorkbook

from gridgov.core.models import AccessLog
from gridgov.registry.tests.views.conftest import HEAD_IDS, MEMBER_ID, PHONES, with_unmask


def workbook(response) -> CalamineWorkbook:
    return CalamineWorkbook.from_filelike(io.BytesIO(b"".join(response.streaming_content)))


def rows(response, sheet: int = 0) -> list[list]:
    return workbook(response).get_sheet_by_index(sheet).to_python()


def test_township_exports_its_households_masked(ledger, client_for):
    client = client_for(ledger.user("township_a"))
    response = client.get("/registry/households/export/")  # default: the user's scope, 常营镇
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    name = f"户台账-常营镇-{timezone.localdate():%Y%m%d}.xlsx"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment; filename=")
    assert f"filename*=utf-8''{quote(name)}" in disposition
    table = rows(response)
    assert table[0][:5] == ["乡镇(街道)", "村(社区)", "户编号", "网格编码", "地址"]
    assert sorted(r[2] for r in table[1:]) == ["HA1", "HA2"]
    head_id_col, phone_col = table[0].index("户主身份证号"), table[0].index("联系电话")
    ha1 = next(r for r in table[1:] if r[2] == "HA1")
    assert ha1[head_id_col] == f"4116**********{HEAD_IDS['HA1'][-4:]}"
    assert ha1[phone_col] == "138****5671"
    text = str(table)
    assert all(number not in text for number in [*HEAD_IDS.values(), *PHONES.values()])
    assert not AccessLog.objects.exists()


def test_export_follows_the_list_region_and_one_sheet_per_township(ledger, client_for):
    client = client_for(ledger.user("admin"))
    response = client.get(f"/registry/residents/export/?region={ledger.territory.grid_a1_1.code}")
    assert sorted(r[3] for r in rows(response)[1:]) == ["张小明", "户主HA1"]
    assert "%E7%AC%AC1%E7%BD%91%E6%A0%BC" in response["Content-Disposition"]  # 第1网格
    response = client.get(f"/registry/places/export/?region={ledger.territory.county.code}&by_township=1")
    assert workbook(response).sheet_names == ["常营镇", "王集乡"]


@pytest.mark.parametrize(
    ("username", "url", "status"),
    [
        ("township_a", "/registry/households/export/?region=411627202", 404),
        ("grid_a", "/registry/places/export/?region=411627101", 404),
        ("officer", "/registry/households/export/", 404),
        ("nobody", "/registry/places/export/", 404),
        ("officer", "/registry/places/export/", 200),
        ("leader", "/registry/licences/export/", 200),
    ],
)
def test_export_scope(ledger, client_for, username, url, status):
    assert client_for(ledger.user(username)).get(url).status_code == status


def test_export_of_licences_lists_expiry(ledger, client_for):
    table = rows(client_for(ledger.user("officer")).get("/registry/licences/export/"))
    assert {r[table[0].index("证号")] for r in table[1:]} == {"(豫)YH-0001", "(豫)YH-0002", "(豫)YH-0003"}


def test_clear_export_needs_the_permission(ledger, client_for):
    client = client_for(ledger.user("admin"))
    assert "导出含明文的台账" not in client.get("/registry/households/").content.decode()
    response = client.post("/registry/households/export/", {"region": "411627", "reason": "民政核对低保名单"})
    assert response.status_code == 403
    assert not AccessLog.objects.exists()


def test_clear_export_needs_a_reason(ledger, client_for):
    client = client_for(with_unmask(ledger.user("admin")))
    assert "导出含明文的台账" in client.get("/registry/households/").content.decode()
    response = client.post("/registry/households/export/", {"region": "411627", "reason": ""})
    assert response.status_code == 400
    assert "reason" in response.context["form"].errors
    assert not AccessLog.objects.exists()


def test_clear_export_has_the_numbers_and_is_logged(ledger, client_for):
    admin = with_unmask(ledger.user("admin"))
    response = client_for(admin).post(
        "/registry/residents/export/",
        {"region": ledger.territory.township_a.code, "reason": "民政核对低保名单"},
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert quote("居民台账明文-常营镇") in response["Content-Disposition"]
    table = rows(response)
    numbers = {r[table[0].index("身份证号")] for r in table[1:]}
    assert numbers == {HEAD_IDS["HA1"], HEAD_IDS["HA2"], MEMBER_ID}
    log = AccessLog.objects.get()
    assert (log.actor_id, log.action, log.reason) == (admin.pk, AccessLog.Action.EXPORT, "民政核对低保名单")


def test_clear_export_out_of_scope_is_404(ledger, client_for):
    user = with_unmask(ledger.user("township_a"))
    response = client_for(user).post(
        "/registry/households/export/",
        {"region": ledger.territory.township_b.code, "reason": "民政核对低保名单"},
    )
    assert response.status_code == 404
    assert not AccessLog.objects.exists()
