import datetime as dt

import pytest

from gridgov.core.models import AuditLog
from gridgov.worktime.models import CalendarOverride


def test_admin_sees_the_calendar_and_the_missing_years_warning(territory, client_for):
    from gridgov.worktime.calendar import year_is_known
    from gridgov.worktime.selectors import years_needing_holidays

    client = client_for(territory.user("admin"))
    html = client.get("/calendar/?year=2027").content.decode()
    assert ("库未收录该年" in html) is not year_is_known(2027)
    assert "库已收录该年节假日" in client.get("/calendar/?year=2025").content.decode()
    for year in years_needing_holidays():
        assert f"{year} 年的法定节假日尚未录入" in html
        assert f"{year} 年的法定节假日尚未录入" in client.get("/").content.decode()


@pytest.mark.parametrize("username", ["leader", "township_a", "grid_a", "supervisor"])
def test_only_county_admins_may_open_or_change_it(territory, client_for, username):
    client = client_for(territory.user(username))
    assert client.get("/calendar/").status_code == 404
    response = client.post("/calendar/save/", {"date": "2027-02-06", "kind": "holiday", "name": "春节"})
    assert response.status_code == 404
    assert not CalendarOverride.objects.exists()


def test_admin_adds_and_deletes_an_override_with_audit(territory, client_for):
    client = client_for(territory.user("admin"))
    response = client.post("/calendar/save/", {"date": "2027-02-06", "kind": "holiday", "name": "春节"})
    assert response.status_code == 302 and response["Location"].endswith("?year=2027")
    assert CalendarOverride.objects.get(date=dt.date(2027, 2, 6)).name == "春节"
    assert AuditLog.objects.filter(action="calendar.set", actor=territory.user("admin")).exists()
    html = client.get("/calendar/?year=2027").content.decode()
    assert "春节" in html
    client.post("/calendar/2027-02-06/delete/")
    assert not CalendarOverride.objects.exists()
    assert AuditLog.objects.filter(action="calendar.delete").exists()


def test_bad_input_names_the_field_and_stores_nothing(territory, client_for):
    client = client_for(territory.user("admin"))
    response = client.post("/calendar/save/", {"date": "2027-13-45", "kind": "holiday", "name": ""})
    assert response.status_code == 400
    html = response.content.decode()
    assert "有效的日期" in html and "必填" in html
    assert not CalendarOverride.objects.exists()
    assert client.post("/calendar/not-a-date/delete/").status_code == 404


def test_calendar_page_query_count_does_not_grow(territory, client_for, django_assert_max_num_queries):
    client = client_for(territory.user("admin"))
    with django_assert_max_num_queries(10) as few:
        client.get("/calendar/?year=2027")
    for day in range(1, 20):
        CalendarOverride.objects.create(date=dt.date(2027, 3, day), kind="holiday", name=f"假{day}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/calendar/?year=2027")
