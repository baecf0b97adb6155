"""The reporter's name and phone appear nowhere a handler can see: case pages, case API, tip pages, audit rows."""

import json

from gridgov.cases.services import loop
from gridgov.core.models import AuditLog
from gridgov.tips.tests.helpers import NAME, PHONE, make_tip

HANDLERS = ("officer", "township_a", "grid_a", "commander", "supervisor", "leader", "admin")
MASKED = PHONE[:3] + "****" + PHONE[-4:]


def assert_clean(text: str, where: str):
    assert NAME not in text, where
    assert PHONE not in text, where
    assert MASKED not in text, where
    assert PHONE[-4:] not in text, where


def test_reporter_never_reaches_handlers(territory, sale, client, photo):
    receipt = make_tip(territory, sale, photos=[photo], address="东头小卖部")
    second = make_tip(
        territory, sale, address="东头小卖部", reporter_name="李另一位", reporter_phone="13700007777"
    )
    case = receipt.tip.case
    assert second.tip.case_id == case.pk
    loop.case_register(actor=territory.user("supervisor"), case=case)
    loop.case_dispatch(actor=territory.user("commander"), case=case, department=territory.department)
    urls = [
        f"/cases/{case.pk}/",
        "/cases/",
        "/cases/all/",
        f"/api/v1/cases/{case.pk}",
        "/api/v1/cases",
        "/api/v1/cases/inbox",
    ]
    for name in HANDLERS:
        client.force_login(territory.user(name))
        for url in urls:
            response = client.get(url)
            if response.status_code != 200:
                continue
            text = response.content.decode()
            assert_clean(text, f"{name} {url}")
            assert "李另一位" not in text and "7777" not in text, f"{name} {url}"
    # the case page was really visible to the unit that handles it
    client.force_login(territory.user("officer"))
    assert client.get(f"/cases/{case.pk}/").status_code == 200
    assert client.get(f"/api/v1/cases/{case.pk}").json()["number"] == case.number
    # and the audit log, read by the county admin, names nobody either
    assert_clean(
        json.dumps([list(r) for r in AuditLog.objects.values_list("changes", "object_repr")]), "audit"
    )
    # the photo keeps no name of the phone's own
    assert all("张三" not in a.original_name for a in case.attachments.all())
