from django.urls import reverse

from gridgov.cases.models import Category


def test_county_admin_edits_a_category_deadline_in_the_admin(admin_client, db):
    category = Category.objects.get(code="air_dust")
    url = reverse("admin:cases_category_change", args=[category.pk])
    page = admin_client.get(url)
    assert page.status_code == 200 and "扬尘" in page.content.decode()
    data = {
        "group": category.group_id,
        "code": category.code,
        "name": category.name,
        "default_department_code": "huanbao",
        "deadline_value": 3,
        "deadline_unit": "days",
        "register_condition": category.register_condition,
        "close_condition": category.close_condition,
        "public": "on",
        "sort_order": category.sort_order,
        "is_active": "on",
    }
    assert admin_client.post(url, data).status_code == 302
    category.refresh_from_db()
    assert (category.deadline_value, category.deadline_unit) == (3, "days")


def test_cases_cannot_be_edited_in_the_admin(admin_client, db):
    assert admin_client.get(reverse("admin:cases_case_add")).status_code == 403
