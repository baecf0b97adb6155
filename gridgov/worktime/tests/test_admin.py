"""The admin for CalendarOverride writes through the services and tells the admin about missing years."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from gridgov.worktime.models import CalendarOverride
from gridgov.worktime.services import calendar_override_set
from gridgov.worktime.tests.helpers import FALLBACK_YEAR

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:worktime_calendaroverride_changelist"


def test_changelist_warns_about_years_without_holidays(admin_client, monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: dt.date(FALLBACK_YEAR - 1, 11, 29))
    response = admin_client.get(reverse(CHANGELIST))
    assert response.status_code == 200
    assert f"{FALLBACK_YEAR} 年的法定节假日尚未录入" in response.content.decode()

    calendar_override_set(actor=None, date=dt.date(FALLBACK_YEAR, 1, 1), kind="holiday", name="元旦")
    response = admin_client.get(reverse(CHANGELIST))
    assert response.status_code == 200
    assert "尚未录入" not in response.content.decode()
    assert "元旦" in response.content.decode()


def test_add_and_change_through_the_admin(admin_client):
    response = admin_client.post(
        reverse("admin:worktime_calendaroverride_add"),
        {"date": f"{FALLBACK_YEAR}-02-08", "kind": "holiday", "name": " 春节 "},
    )
    assert response.status_code == 302
    stored = CalendarOverride.objects.get()
    assert (stored.date, stored.kind, stored.name) == (dt.date(FALLBACK_YEAR, 2, 8), "holiday", "春节")

    response = admin_client.post(
        reverse("admin:worktime_calendaroverride_change", args=[stored.pk]),
        {"date": f"{FALLBACK_YEAR}-03-01", "kind": "workday", "name": "补班"},
    )
    assert response.status_code == 302
    stored = CalendarOverride.objects.get()
    # The date is read-only on change: the row keeps its date and takes the new kind and name.
    assert (stored.date, stored.kind, stored.name) == (dt.date(FALLBACK_YEAR, 2, 8), "workday", "补班")


def test_delete_through_the_admin(admin_client):
    override = calendar_override_set(actor=None, date=dt.date(2026, 3, 9), kind="holiday", name="县庆")
    response = admin_client.post(
        reverse("admin:worktime_calendaroverride_delete", args=[override.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not CalendarOverride.objects.exists()
